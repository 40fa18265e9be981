using Keel.Core.Errors;
using Keel.Serving.Internal;
using Keel.Serving.Models;
using Keel.Tabular;
using Microsoft.ML;

namespace Keel.Serving.Predictors;

/// <summary>
/// Runs an <c>mlnet</c>-flavor model. Each <see cref="Predict"/> wraps the table in its own
/// <see cref="TableDataView"/>, calls the model's <c>Transform</c> (ML.NET transformers are immutable
/// and safe to share; a PredictionEngine is not, so none is used) and reads the output columns with
/// one cursor, so calls on several threads do not interfere.
/// </summary>
internal sealed partial class MlNetPredictor : IPredictor
{
    private readonly ITransformer _model;
    private readonly DataViewSchema _inputSchema;
    private readonly HashSet<string> _optionalInputs;
    private readonly string[] _outputNames;

    private MlNetPredictor(ITransformer model, DataViewSchema inputSchema, ModelManifest manifest)
    {
        _model = model;
        _inputSchema = inputSchema;
        Manifest = manifest;
        var labelColumn = manifest.GetFlavorString(ModelFlavors.MlNet, "label_column");
        _optionalInputs = MlNetSchemas.OptionalInputs(model, inputSchema, labelColumn);
        if (manifest.Signature?.Inputs is { IsTensorBased: false } inputs)
        {
            _optionalInputs.UnionWith(inputs.Columns.Where(c => !c.Required && c.Name is not null).Select(c => c.Name!));
        }

        Signature = manifest.Signature is { Inputs: not null } signature
            ? signature
            : MlNetSchemas.Signature(model, inputSchema, _optionalInputs);
        var outputSchema = model.GetOutputSchema(inputSchema);
        var declared = Signature.Outputs?.Names.Where(n => outputSchema.GetColumnOrNull(n) is { } c && MlNetSchemas.IsReadable(c.Type)).ToList();
        _outputNames = declared is { Count: > 0 } ? [.. declared] : [.. MlNetSchemas.OutputColumns(outputSchema, inputSchema)];
    }

    public string Flavor => ModelFlavors.MlNet;

    public ModelManifest Manifest { get; }

    public ModelSignature Signature { get; }

    public static MlNetPredictor Load(string modelDirectory, ModelManifest manifest)
    {
        var relative = manifest.GetFlavorString(ModelFlavors.MlNet, "model_path") ?? "model.zip";
        var path = ModelFiles.Resolve(modelDirectory, relative, "flavors.mlnet.model_path");
        try
        {
            var model = new MLContext().Model.Load(path, out var inputSchema);
            return new MlNetPredictor(model, inputSchema, manifest);
        }
        catch (Exception ex) when (Innermost(ex) is FileNotFoundException { FileName: { } assembly } && assembly.StartsWith("Microsoft.ML", StringComparison.Ordinal))
        {
            // ML.NET loads each component (trainer) by reflection; one this process lacks surfaces
            // as a TargetInvocationException around a FileNotFoundException.
            throw KeelException.Invalid(
                $"ML.NET cannot load '{relative}': it uses a component from '{assembly.Split(',')[0]}', which this Keel build does not include. Keel runs ML.NET models built with the Microsoft.ML and Microsoft.ML.FastTree trainers; export other models to ONNX (mlContext.Model.ConvertToOnnx) and log them with the onnx flavor.");
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or InvalidDataException or IOException
                                       or System.Reflection.TargetInvocationException)
        {
            throw KeelException.Invalid($"ML.NET cannot load '{relative}': {Innermost(ex).Message}");
        }
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }

    public PredictionResult Predict(Table input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var view = new TableDataView(_inputSchema, input, _optionalInputs);
        IDataView output;
        try
        {
            output = _model.Transform(view);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new KeelException(ErrorCode.BAD_REQUEST, $"ML.NET failed to run the model: {ex.Message}");
        }

        return ReadOutputs(output, input.RowCount);
    }

    public void Dispose()
    {
        // Some transformers (e.g. ONNX or TensorFlow wrappers) hold native resources.
        (_model as IDisposable)?.Dispose();
    }
}

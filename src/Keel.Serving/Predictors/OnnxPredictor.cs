using Keel.Core.Errors;
using Keel.Serving.Internal;
using Keel.Serving.Models;
using Keel.Tabular;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Keel.Serving.Predictors;

/// <summary>
/// Runs an <c>onnx</c>-flavor model with ONNX Runtime: one <see cref="InferenceSession"/> per model,
/// whose <c>Run</c> is thread-safe, so <see cref="Predict"/> is too. How table columns become the
/// graph's inputs is described in OnnxPredictor.Inputs.cs.
/// </summary>
internal sealed partial class OnnxPredictor : IPredictor
{
    private readonly InferenceSession _session;
    private readonly SessionOptions _sessionOptions;
    private readonly OnnxInput[] _inputs;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    // How each output is allocated by Keel before the call, when all can be (OnnxPredictor.Outputs.cs);
    // null when ONNX Runtime must allocate them. Cleared for good if a call with them fails where
    // one without them succeeds (a graph whose outputs do not have the shapes it declares).
    private volatile OutputPlan[]? _outputPlans;

    // One for every call: creating run options per call cost a native allocation and a finalizable
    // handle per request. Run only reads them, so concurrent calls may share them.
    private readonly RunOptions _runOptions = new();

    private OnnxPredictor(InferenceSession session, SessionOptions sessionOptions, ModelManifest manifest)
    {
        _session = session;
        _sessionOptions = sessionOptions;
        Manifest = manifest;
        // An MLmodel signature without outputs (`outputs: null`, common when only inputs were
        // inferred) is completed from the graph, so OIP metadata and requested outputs know them.
        Signature = manifest.Signature switch
        {
            { Inputs: not null, Outputs: not null } signature => signature,
            { Inputs: not null } signature => new ModelSignature(signature.Inputs, OnnxGraph.Signature(session).Outputs, signature.Params),
            _ => OnnxGraph.Signature(session),
        };
        _inputs = [.. session.InputNames.Select(name => new OnnxInput(name, session.InputMetadata[name]))];
        _inputNames = [.. _inputs.Select(i => i.Name)];
        _outputNames = [.. session.OutputNames];
        _outputPlans = PlanOutputs(session, _outputNames);
    }

    public string Flavor => ModelFlavors.Onnx;

    public ModelManifest Manifest { get; }

    public ModelSignature Signature { get; }

    public static OnnxPredictor Load(string modelDirectory, ModelManifest manifest, ModelLoadOptions options)
    {
        var data = manifest.GetFlavorString(ModelFlavors.Onnx, "data") ?? "model.onnx";
        var path = ModelFiles.Resolve(modelDirectory, data, "flavors.onnx.data");
        _ = OnnxRuntimeEnvironment.Instance;
        var sessionOptions = new SessionOptions();
        try
        {
            if (options.OnnxIntraOpThreads is { } threads)
            {
                sessionOptions.IntraOpNumThreads = threads;
            }

            return new OnnxPredictor(new InferenceSession(path, sessionOptions), sessionOptions, manifest);
        }
        catch (OnnxRuntimeException ex)
        {
            sessionOptions.Dispose();
            throw KeelException.Invalid($"ONNX Runtime cannot load '{data}': {ex.Message}");
        }
        catch
        {
            sessionOptions.Dispose();
            throw;
        }
    }

    public PredictionResult Predict(Table input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var feeds = BindInputs(input);
        try
        {
            var plans = _outputPlans;
            if (plans is not null && input.RowCount > 0 && TryRunInto(plans, feeds, input.RowCount) is { } result)
            {
                return result;
            }

            using var results = _session.Run(_runOptions, _inputNames, feeds, _outputNames);
            if (plans is not null)
            {
                // The call into Keel's arrays failed where this one did not.
                _outputPlans = null;
            }

            var outputs = new PredictionTensor[_outputNames.Length];
            var i = 0;
            foreach (var value in results)
            {
                outputs[i] = ToTensor(_outputNames[i], value);
                i++;
            }

            return new PredictionResult(outputs);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new KeelException(ErrorCode.BAD_REQUEST, $"ONNX Runtime failed to run the model: {ex.Message}");
        }
        finally
        {
            foreach (var value in feeds)
            {
                value?.Dispose();
            }
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
        _sessionOptions.Dispose();
    }

    /// <summary>A graph input: its element type and dimensions (-1 where dynamic).</summary>
    private sealed class OnnxInput
    {
        public OnnxInput(string name, NodeMetadata metadata)
        {
            if (metadata.OnnxValueType != OnnxValueType.ONNX_TYPE_TENSOR)
            {
                throw KeelException.Invalid(
                    $"ONNX input '{name}' is a {metadata.OnnxValueType}; Keel feeds tensors only, so the model cannot take a table.");
            }

            Name = name;
            ElementType = metadata.ElementDataType;
            Dimensions = [.. metadata.Dimensions.Select(d => d > 0 ? d : -1)];
        }

        public string Name { get; }

        public TensorElementType ElementType { get; }

        public int[] Dimensions { get; }

        public string Dtype => OnnxGraph.NumpyDtype(ElementType);

        public string ShapeText => "[" + string.Join(", ", Dimensions.Select((d, i) => d < 0 ? (i == 0 ? "N" : "?") : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
    }
}

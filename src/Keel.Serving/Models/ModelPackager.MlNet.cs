using System.Reflection;
using Keel.Core.Errors;
using Keel.Serving.Internal;
using Microsoft.ML;

namespace Keel.Serving.Models;

public sealed partial class ModelPackager
{
    /// <summary>The file name of the model inside an ML.NET model folder.</summary>
    public const string MlNetFileName = "model.zip";

    /// <summary>
    /// Saves a trained ML.NET model with the schema of the data it takes (<c>MLContext.Model.Save</c>)
    /// as <c>model.zip</c>, with an MLmodel whose <c>mlnet</c> flavor names the file and the ML.NET
    /// version, and a signature from the input schema and the columns the model adds.
    /// </summary>
    public ModelManifest SaveMlNet(
        MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string modelDirectory, ModelPackageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        options ??= ModelPackageOptions.Default;
        if (options.LabelColumnName is { } label && inputSchema.GetColumnOrNull(label) is null)
        {
            throw KeelException.Invalid(
                $"LabelColumnName '{label}' is not a column of the input schema; its columns are: {string.Join(", ", inputSchema.Select(c => c.Name))}.");
        }

        return Guarded(modelDirectory, () =>
        {
            mlContext.Model.Save(model, inputSchema, Path.Combine(modelDirectory, MlNetFileName));
            var optional = MlNetSchemas.OptionalInputs(model, inputSchema, options.LabelColumnName);
            var manifest = new ModelManifest { Signature = options.Signature ?? MlNetSchemas.Signature(model, inputSchema, optional) };
            var flavor = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["model_path"] = MlNetFileName,
                ["mlnet_version"] = MlNetVersion,
            };
            if (options.LabelColumnName is not null)
            {
                flavor["label_column"] = options.LabelColumnName;
            }

            manifest.Flavors[ModelFlavors.MlNet] = flavor;
            return Finish(modelDirectory, manifest, options);
        });
    }

    /// <summary>
    /// The ML.NET package version (e.g. 5.0.1). Its assemblies all carry AssemblyVersion 1.0.0.0, so
    /// the informational version, without its commit suffix, is the number that tells releases apart.
    /// </summary>
    public static string MlNetVersion { get; } =
        typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(MLContext).Assembly.GetName().Version?.ToString()
        ?? "unknown";
}

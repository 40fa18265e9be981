using Keel.Client.Internal;
using Keel.Client.Models;
using Keel.Serving.Models;
using Microsoft.ML;

namespace Keel.Client;

public sealed partial class KeelClient
{
    /// <summary>
    /// Logs a trained ML.NET model to a run as an MLflow model folder (<c>MLmodel</c> with the
    /// <c>mlnet</c> flavor and a signature from <paramref name="inputSchema"/>, beside <c>model.zip</c>),
    /// records it in the run's <c>mlflow.log-model.history</c>, and optionally registers it.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="mlContext">The context the model was trained with.</param>
    /// <param name="model">The trained transformer.</param>
    /// <param name="inputSchema">The schema of the data the model takes (e.g. <c>trainingData.Schema</c>).</param>
    /// <param name="artifactPath">The model folder inside the run's artifacts.</param>
    /// <param name="options">Registration, input example, label column, metadata.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>Where the model went, and its registry version when registered.</returns>
    public Task<LoggedModel> LogModelAsync(
        string runId, MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string artifactPath = "model",
        LogModelOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        return LogPackagedModelAsync(runId, artifactPath, options, (packager, folder, packageOptions) =>
            packager.SaveMlNet(mlContext, model, inputSchema, folder, packageOptions), cancellationToken);
    }

    /// <summary>
    /// Loads a model for prediction in this process (see <see cref="KeelModel"/>): resolves the URI,
    /// downloads the files unless the local cache holds exactly these files, and loads them.
    /// </summary>
    /// <param name="modelUri"><c>models:/NAME/VERSION</c>, <c>models:/NAME@ALIAS</c>, <c>models:/NAME/STAGE</c>, <c>runs:/RUN_ID/PATH</c> or <c>mlflow-artifacts:/…</c>.</param>
    /// <param name="options">The cache folder.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The loaded model; dispose it to release the runtime session.</returns>
    public Task<KeelModel> LoadModelAsync(string modelUri, KeelModelOptions? options = null, CancellationToken cancellationToken = default) =>
        KeelModel.LoadCoreAsync(modelUri, this, options, cancellationToken);

    /// <summary>Logs an ONNX model file to a run (<c>onnx</c> flavor, signature from the graph); see <see cref="LogModelAsync"/>.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="onnxFile">The <c>.onnx</c> file.</param>
    /// <param name="artifactPath">The model folder inside the run's artifacts.</param>
    /// <param name="options">Registration, input example, metadata.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>Where the model went, and its registry version when registered.</returns>
    public Task<LoggedModel> LogOnnxModelAsync(
        string runId, string onnxFile, string artifactPath = "model", LogModelOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(onnxFile);
        return LogPackagedModelAsync(runId, artifactPath, options, (packager, folder, packageOptions) =>
            packager.SaveOnnx(onnxFile, folder, packageOptions), cancellationToken);
    }

    /// <summary>Logs an ONNX model held in memory; see <see cref="LogOnnxModelAsync"/>.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="onnxModel">The serialized ONNX model.</param>
    /// <param name="artifactPath">The model folder inside the run's artifacts.</param>
    /// <param name="options">Registration, input example, metadata.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>Where the model went, and its registry version when registered.</returns>
    public Task<LoggedModel> LogOnnxModelBytesAsync(
        string runId, ReadOnlyMemory<byte> onnxModel, string artifactPath = "model", LogModelOptions? options = null,
        CancellationToken cancellationToken = default) =>
        LogPackagedModelAsync(runId, artifactPath, options, (packager, folder, packageOptions) =>
            packager.SaveOnnx(onnxModel, folder, packageOptions), cancellationToken);

    private async Task<LoggedModel> LogPackagedModelAsync(
        string runId, string artifactPath, LogModelOptions? options, Func<ModelPackager, string, ModelPackageOptions, ModelManifest> save,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        var path = ArtifactPaths.Normalize(artifactPath, nameof(artifactPath));
        if (path.Length == 0)
        {
            throw new ArgumentException("A model needs its own artifact folder, e.g. \"model\".", nameof(artifactPath));
        }

        options ??= new LogModelOptions();
        var folder = Path.Combine(Path.GetTempPath(), "keel-model-" + Guid.NewGuid().ToString("N"));
        try
        {
            var manifest = save(new ModelPackager(_options.TimeProvider), folder, new ModelPackageOptions
            {
                RunId = runId,
                ArtifactPath = path,
                InputExample = options.InputExample,
                LabelColumnName = options.LabelColumnName,
                Metadata = options.Metadata?.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
            });
            var root = await GetArtifactRootAsync(runId, cancellationToken);
            await LogArtifactsCoreAsync(root, folder, path, cancellationToken);
            await PostAsync("runs/log-model", new LogModelRequest(runId, manifest.ToJson()), WireJson.Default.LogModelRequest, cancellationToken);

            var modelUri = $"runs:/{runId}/{path}";
            ModelVersion? registered = null;
            if (!string.IsNullOrEmpty(options.RegisteredModelName))
            {
                registered = await RegisterModelAsync(options.RegisteredModelName, modelUri, runId, cancellationToken);
            }

            return new LoggedModel(runId, path, modelUri, manifest.Flavors.Keys.First(ModelFlavors.Native.Contains),
                manifest.Signature?.Inputs?.ToJson(), manifest.Signature?.Outputs?.ToJson(), registered);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}

using Keel.Client.Internal;
using Keel.Serving.Models;
using Keel.Serving.Predictors;
using Keel.Tabular;

namespace Keel.Client.Models;

/// <summary>Where <see cref="KeelModel.LoadAsync"/> and <see cref="KeelClient.LoadModelAsync"/> keep downloaded models.</summary>
public sealed class KeelModelOptions
{
    /// <summary>
    /// The cache folder. Default: <c>KEEL_MODEL_CACHE</c>, else <c>keel/models</c> under the user's
    /// local application data folder (<c>~/.local/share</c> on Linux).
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>
    /// How the model's runtime is set up, e.g. one ONNX Runtime thread per call for a server that
    /// already scores many requests in parallel. Default: the runtime's own defaults.
    /// </summary>
    public ModelLoadOptions? LoadOptions { get; init; }
}

/// <summary>
/// A registered or logged model loaded for prediction in this process, with the same engine the
/// serving endpoints use. Files are downloaded once into a local cache keyed by their content hash;
/// a later load of the same files reads them from there.
/// </summary>
public sealed class KeelModel : IDisposable
{
    private KeelModel(string modelUri, string artifactUri, string localPath, string contentHash, IPredictor predictor)
    {
        ModelUri = modelUri;
        ArtifactUri = artifactUri;
        LocalPath = localPath;
        ContentHash = contentHash;
        Predictor = predictor;
    }

    /// <summary>The URI the model was loaded from, e.g. <c>models:/iris@champion</c>.</summary>
    public string ModelUri { get; }

    /// <summary>Where the files are on the server, e.g. <c>mlflow-artifacts:/1/RUN/artifacts/model</c>.</summary>
    public string ArtifactUri { get; }

    /// <summary>The local folder holding the model's files (inside the cache).</summary>
    public string LocalPath { get; }

    /// <summary>SHA-256 of the model's files (their paths, sizes and bytes), hex.</summary>
    public string ContentHash { get; }

    /// <summary>The loaded model.</summary>
    public IPredictor Predictor { get; }

    /// <summary>The MLmodel file.</summary>
    public ModelManifest Manifest => Predictor.Manifest;

    /// <summary>The model's signature.</summary>
    public ModelSignature Signature => Predictor.Signature;

    /// <summary><c>onnx</c> or <c>mlnet</c>.</summary>
    public string Flavor => Predictor.Flavor;

    /// <summary>
    /// Loads a model through a client built from <c>KEEL_TRACKING_URI</c> / <c>MLFLOW_TRACKING_URI</c>
    /// (<see cref="KeelClient.LoadModelAsync"/> takes a client of your own): resolves the URI,
    /// downloads the files unless the cache holds exactly these files already, and loads them. A
    /// flavor Keel cannot run (e.g. a scikit-learn pickle) fails with a message naming the flavors
    /// and suggesting ONNX.
    /// </summary>
    /// <param name="modelUri"><c>models:/NAME/VERSION</c>, <c>models:/NAME@ALIAS</c>, <c>models:/NAME/STAGE</c>, <c>runs:/RUN_ID/PATH</c> or <c>mlflow-artifacts:/…</c>.</param>
    /// <param name="options">The cache folder.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The loaded model; dispose it to release the runtime session.</returns>
    public static async Task<KeelModel> LoadAsync(string modelUri, KeelModelOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var client = KeelClient.FromEnvironment();
        return await LoadCoreAsync(modelUri, client, options, cancellationToken);
    }

    internal static async Task<KeelModel> LoadCoreAsync(string modelUri, KeelClient client, KeelModelOptions? options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelUri);
        // The runtime's one-time start-up runs beside the HTTP calls instead of after them.
        var warmUp = Task.Run(ModelLoader.WarmUp, cancellationToken);
        var artifactUri = await client.ResolveModelArtifactUriAsync(modelUri, cancellationToken);
        var cache = new ModelCache(options?.CacheDirectory ?? ModelCache.DefaultDirectory());
        var files = await client.ListModelFilesAsync(artifactUri, cancellationToken);
        if (files.Count == 0)
        {
            throw new KeelApiException(KeelErrorCodes.ResourceDoesNotExist,
                $"No files under {artifactUri} (from {modelUri}).", System.Net.HttpStatusCode.NotFound);
        }

        var (folder, hash) = cache.TryGet(artifactUri, files)
            ?? await cache.AddAsync(artifactUri, files, (target, token) => client.DownloadModelFilesAsync(artifactUri, files, target, token), cancellationToken);
        await warmUp;
        return new KeelModel(modelUri, artifactUri, folder, hash, ModelLoader.Load(folder, options?.LoadOptions));
    }

    /// <summary>Predicts every row of <paramref name="input"/> (columns by the signature's names).</summary>
    /// <param name="input">The rows.</param>
    /// <returns>The model's outputs.</returns>
    public PredictionResult Predict(Table input) => Predictor.Predict(input);

    /// <inheritdoc />
    public void Dispose() => Predictor.Dispose();
}

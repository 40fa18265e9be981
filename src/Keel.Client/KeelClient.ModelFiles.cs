using Keel.Client.Internal;
using Keel.Core.Registry;

namespace Keel.Client;

public sealed partial class KeelClient
{
    /// <summary>
    /// Where a model's files are: a <c>models:/</c> URI resolves through the registry, a
    /// <c>runs:/RUN_ID/PATH</c> URI through the run's artifact location; anything else is taken as an
    /// artifact URI already.
    /// </summary>
    /// <param name="modelUri">The model URI.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>An artifact URI such as <c>mlflow-artifacts:/1/RUN/artifacts/model</c>.</returns>
    public async Task<string> ResolveModelArtifactUriAsync(string modelUri, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelUri);
        if (ModelReference.IsModelsUri(modelUri))
        {
            var version = await ResolveModelVersionAsync(modelUri, cancellationToken);
            return await GetModelVersionDownloadUriAsync(version.Name, version.Version, cancellationToken);
        }

        if (RunReference.IsRunsUri(modelUri))
        {
            var reference = RunReference.Parse(modelUri);
            var run = await GetRunAsync(reference.RunId, cancellationToken);
            return reference.Path.Length == 0 ? run.Info.ArtifactUri : $"{run.Info.ArtifactUri.TrimEnd('/')}/{reference.Path}";
        }

        return modelUri;
    }

    /// <summary>
    /// Downloads every file of a model (a <c>models:/</c>, <c>runs:/</c> or <c>mlflow-artifacts:/</c>
    /// URI) into <paramref name="destinationDirectory"/>, keeping the folder layout: the
    /// <c>MLmodel</c> file lands at <c>destinationDirectory/MLmodel</c>.
    /// </summary>
    /// <param name="modelUri">The model URI.</param>
    /// <param name="destinationDirectory">The local folder (created when missing); existing files are overwritten.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The relative paths of the downloaded files, sorted.</returns>
    public async Task<IReadOnlyList<string>> DownloadModelAsync(string modelUri, string destinationDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(destinationDirectory);
        var artifactUri = await ResolveModelArtifactUriAsync(modelUri, cancellationToken);
        var files = await ListModelFilesAsync(artifactUri, cancellationToken);
        if (files.Count == 0)
        {
            throw new KeelApiException(KeelErrorCodes.ResourceDoesNotExist,
                $"No files under {artifactUri} (from {modelUri}).", System.Net.HttpStatusCode.NotFound);
        }

        await DownloadModelFilesAsync(artifactUri, files, destinationDirectory, cancellationToken);
        return files.Select(f => f.Path).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Downloads already-listed files of a proxied artifact URI, several at a time.</summary>
    internal async Task DownloadModelFilesAsync(
        string artifactUri, IReadOnlyList<ArtifactFileInfo> files, string destinationDirectory, CancellationToken cancellationToken)
    {
        var root = ResolveArtifactRoot(artifactUri);
        var destination = Path.GetFullPath(destinationDirectory);
        await Parallel.ForEachAsync(
            files,
            new ParallelOptions { MaxDegreeOfParallelism = _options.ArtifactParallelism, CancellationToken = cancellationToken },
            async (file, token) => await DownloadFileAsync(root, file.Path, ArtifactPaths.ToLocal(destination, file.Path), token));
    }

    /// <summary>Every file under a proxied artifact URI, with paths relative to it and sizes.</summary>
    internal async Task<IReadOnlyList<ArtifactFileInfo>> ListModelFilesAsync(string artifactUri, CancellationToken cancellationToken)
    {
        var (baseUri, basePath) = ParseProxied(artifactUri) ?? throw new NotSupportedException(
            $"Model location '{artifactUri}' cannot be listed over HTTP: Keel.Client downloads models through the server's artifact proxy (mlflow-artifacts:/…).");
        var files = new List<ArtifactFileInfo>();
        var pending = new Queue<string>([string.Empty]);
        while (pending.TryDequeue(out var relative))
        {
            var path = relative.Length == 0 ? basePath : $"{basePath}/{relative}";
            var response = await SendAsync(HttpMethod.Get, new Uri(baseUri, "api/2.0/mlflow-artifacts/artifacts?" + Query(("path", path))), null,
                WireJson.Default.ListArtifactsResponse, cancellationToken);
            foreach (var entry in response.Files ?? [])
            {
                // The proxy lists base names (reference §2.7); some servers send paths: keep the last segment.
                var name = (entry.Path ?? string.Empty).TrimEnd('/');
                name = name[(name.LastIndexOf('/') + 1)..];
                var child = relative.Length == 0 ? name : $"{relative}/{name}";
                if (entry.IsDir == true)
                {
                    pending.Enqueue(child);
                }
                else if (name.Length > 0)
                {
                    files.Add(new ArtifactFileInfo(child, false, entry.FileSize));
                }
            }
        }

        return files;
    }
}

using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Keel.Client.Internal;

namespace Keel.Client;

public sealed partial class KeelClient
{
    private const int CopyBufferSize = 81_920;

    // A run's artifact_uri never changes, so it is fetched once per run.
    private readonly ConcurrentDictionary<string, Uri> _artifactRoots = new(StringComparer.Ordinal);

    /// <summary>Lists one level of a run's artifacts.</summary>
    /// <param name="runId">The run id.</param>
    /// <param name="path">The artifact folder, relative to the run's artifact root; <see langword="null"/> for the root.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The entries, with paths relative to the run's artifact root. Empty for a missing folder or a file.</returns>
    public async Task<IReadOnlyList<ArtifactFileInfo>> ListArtifactsAsync(
        string runId, string? path = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        var relative = ArtifactPaths.Normalize(path, nameof(path));
        var result = new List<ArtifactFileInfo>();
        string? token = null;
        do
        {
            var query = Query(("run_id", runId), ("path", relative.Length == 0 ? null : relative), ("page_token", token));
            var response = await GetAsync("artifacts/list", query, WireJson.Default.ListArtifactsResponse, cancellationToken);
            result.AddRange((response.Files ?? []).Select(Mapping.ToFileInfo));
            token = NullIfEmpty(response.NextPageToken);
        }
        while (token is not null);

        return result;
    }

    /// <summary>
    /// Uploads a local file into a run's artifacts, streaming it (like MLflow's
    /// <c>log_artifact</c>: the file keeps its name inside <paramref name="artifactPath"/>).
    /// </summary>
    /// <param name="runId">The run id.</param>
    /// <param name="localPath">The file.</param>
    /// <param name="artifactPath">The artifact folder to put it in; <see langword="null"/> for the root.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>A task that completes when the server has stored the file.</returns>
    public async Task LogArtifactAsync(string runId, string localPath, string? artifactPath = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        var root = await GetArtifactRootAsync(runId, cancellationToken);
        await LogArtifactCoreAsync(root, localPath, artifactPath, cancellationToken);
    }

    /// <summary>
    /// Uploads every file under a local folder into a run's artifacts, keeping the folder structure
    /// (like MLflow's <c>log_artifacts</c>: the folder's contents go into <paramref name="artifactPath"/>).
    /// Files are streamed, <see cref="KeelClientOptions.ArtifactParallelism"/> at a time; empty
    /// folders are not recorded.
    /// </summary>
    /// <param name="runId">The run id.</param>
    /// <param name="localDirectory">The folder.</param>
    /// <param name="artifactPath">The artifact folder to put its contents in; <see langword="null"/> for the root.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>A task that completes when the server has stored every file.</returns>
    public async Task LogArtifactsAsync(string runId, string localDirectory, string? artifactPath = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        var root = await GetArtifactRootAsync(runId, cancellationToken);
        await LogArtifactsCoreAsync(root, localDirectory, artifactPath, cancellationToken);
    }

    /// <summary>Uploads the contents of a stream as one artifact file, streaming it.</summary>
    /// <param name="runId">The run id.</param>
    /// <param name="artifactFilePath">The file's path relative to the run's artifact root, e.g. <c>model/model.onnx</c>.</param>
    /// <param name="content">The bytes, read from the current position to the end; not disposed.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <returns>A task that completes when the server has stored the file.</returns>
    public async Task UploadArtifactAsync(string runId, string artifactFilePath, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentNullException.ThrowIfNull(content);
        var relative = ArtifactPaths.Normalize(artifactFilePath, nameof(artifactFilePath));
        if (relative.Length == 0)
        {
            throw new ArgumentException("An artifact file path is required.", nameof(artifactFilePath));
        }

        var root = await GetArtifactRootAsync(runId, cancellationToken);
        await PutAsync(root, relative, new NonDisposingStream(content), cancellationToken);
    }

    /// <summary>Opens an artifact file for reading; the bytes stream from the server as they are read.</summary>
    /// <param name="runId">The run id.</param>
    /// <param name="artifactFilePath">The file's path relative to the run's artifact root.</param>
    /// <param name="cancellationToken">Cancels opening (pass a token to the stream's reads as well).</param>
    /// <returns>The stream; dispose it to release the connection.</returns>
    /// <exception cref="KeelApiException"><c>RESOURCE_DOES_NOT_EXIST</c> when there is no such file.</exception>
    public async Task<Stream> OpenArtifactAsync(string runId, string artifactFilePath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        var relative = ArtifactPaths.Normalize(artifactFilePath, nameof(artifactFilePath));
        var root = await GetArtifactRootAsync(runId, cancellationToken);
        var response = await GetArtifactResponseAsync(root, relative, cancellationToken);
        try
        {
            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            return new ResponseStream(response, body);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Downloads an artifact file or a whole artifact folder into a local folder, streaming each
    /// file to disk (like MLflow's <c>download_artifacts</c>). The artifact keeps its relative
    /// path: <c>model</c> downloaded to <c>out</c> lands in <c>out/model</c>.
    /// </summary>
    /// <param name="runId">The run id.</param>
    /// <param name="artifactPath">The file or folder relative to the run's artifact root; <see langword="null"/> or <c>.</c> for everything.</param>
    /// <param name="destinationDirectory">The local folder (created when missing); existing files are overwritten.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The local path of the downloaded file or folder.</returns>
    public async Task<string> DownloadArtifactsAsync(
        string runId, string? artifactPath, string destinationDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentException.ThrowIfNullOrEmpty(destinationDirectory);
        var relative = ArtifactPaths.Normalize(artifactPath, nameof(artifactPath));
        var destination = Path.GetFullPath(destinationDirectory);
        Directory.CreateDirectory(destination);
        var root = await GetArtifactRootAsync(runId, cancellationToken);

        var listing = await ListArtifactsAsync(runId, relative, cancellationToken);

        // A file has an empty listing (or, from some servers, a listing of itself); MLflow's
        // client tells files from folders the same way.
        var isFile = relative.Length > 0
            && (listing.Count == 0 || (listing.Count == 1 && !listing[0].IsDir && string.Equals(listing[0].Path, relative, StringComparison.Ordinal)));
        if (isFile)
        {
            var localFile = ArtifactPaths.ToLocal(destination, relative);
            await DownloadFileAsync(root, relative, localFile, cancellationToken);
            return localFile;
        }

        var files = new List<string>();
        var pending = new Queue<IReadOnlyList<ArtifactFileInfo>>([listing]);
        while (pending.TryDequeue(out var level))
        {
            foreach (var entry in level)
            {
                if (entry.IsDir)
                {
                    pending.Enqueue(await ListArtifactsAsync(runId, entry.Path, cancellationToken));
                }
                else
                {
                    files.Add(entry.Path);
                }
            }
        }

        var localRoot = relative.Length == 0 ? destination : ArtifactPaths.ToLocal(destination, relative);
        Directory.CreateDirectory(localRoot);
        await Parallel.ForEachAsync(
            files,
            new ParallelOptions { MaxDegreeOfParallelism = _options.ArtifactParallelism, CancellationToken = cancellationToken },
            async (file, token) => await DownloadFileAsync(root, file, ArtifactPaths.ToLocal(destination, file), token));
        return localRoot;
    }

    internal async Task LogArtifactCoreAsync(Uri root, string localPath, string? artifactPath, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(localPath);
        var folder = ArtifactPaths.Normalize(artifactPath, nameof(artifactPath));
        await UploadFileAsync(root, localPath, ArtifactPaths.Combine(folder, Path.GetFileName(localPath)), cancellationToken);
    }

    internal async Task LogArtifactsCoreAsync(Uri root, string localDirectory, string? artifactPath, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(localDirectory);
        if (!Directory.Exists(localDirectory))
        {
            throw new DirectoryNotFoundException($"Folder '{localDirectory}' does not exist.");
        }

        var folder = ArtifactPaths.Normalize(artifactPath, nameof(artifactPath));
        var files = Directory.EnumerateFiles(localDirectory, "*", SearchOption.AllDirectories);
        await Parallel.ForEachAsync(
            files,
            new ParallelOptions { MaxDegreeOfParallelism = _options.ArtifactParallelism, CancellationToken = cancellationToken },
            async (file, token) =>
            {
                var relative = Path.GetRelativePath(localDirectory, file).Replace(Path.DirectorySeparatorChar, '/');
                await UploadFileAsync(root, file, ArtifactPaths.Combine(folder, relative), token);
            });
    }

    /// <summary>Where a run's artifacts live over HTTP, from its <c>artifact_uri</c> (reference §2.7).</summary>
    internal Uri ResolveArtifactRoot(string artifactUri)
    {
        if (ParseProxied(artifactUri) is var (baseUri, path))
        {
            var escaped = ArtifactPaths.Escape(path);
            return new Uri(baseUri, "api/2.0/mlflow-artifacts/artifacts/" + (escaped.Length == 0 ? "" : escaped + "/"));
        }

        if (Uri.TryCreate(artifactUri, UriKind.Absolute, out var http)
            && (string.Equals(http.Scheme, Uri.UriSchemeHttp, StringComparison.Ordinal)
                || string.Equals(http.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal)))
        {
            return http.AbsoluteUri.EndsWith('/') ? http : new Uri(http.AbsoluteUri + "/");
        }

        throw new NotSupportedException(
            $"Artifact location '{artifactUri}' is not reachable over HTTP. Keel.Client reads and writes artifacts through the " +
            "server's artifact proxy (mlflow-artifacts:/…) or an http(s) location; start the server with artifact proxying.");
    }

    /// <summary>
    /// A proxied artifact URI's server and path: `mlflow-artifacts:/path` is on this server,
    /// `mlflow-artifacts://host:port/path` names another one (reached with our scheme).
    /// </summary>
    internal (Uri BaseUri, string Path)? ParseProxied(string artifactUri)
    {
        const string Proxied = "mlflow-artifacts:";
        if (!artifactUri.StartsWith(Proxied, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = artifactUri[Proxied.Length..];
        var baseUri = TrackingUri;
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            var slash = rest.IndexOf('/', 2);
            var authority = slash < 0 ? rest[2..] : rest[2..slash];
            rest = slash < 0 ? "" : rest[slash..];
            if (authority.Length > 0)
            {
                baseUri = new Uri($"{TrackingUri.Scheme}://{authority}/");
            }
        }

        return (baseUri, rest.Trim('/'));
    }

    private async ValueTask<Uri> GetArtifactRootAsync(string runId, CancellationToken cancellationToken)
    {
        if (_artifactRoots.TryGetValue(runId, out var cached))
        {
            return cached;
        }

        var run = await GetRunAsync(runId, cancellationToken);
        var root = ResolveArtifactRoot(run.Info.ArtifactUri);
        _artifactRoots[runId] = root;
        return root;
    }

    private async Task UploadFileAsync(Uri root, string localPath, string relative, CancellationToken cancellationToken)
    {
        // Streamed from disk; the length is known, so the request carries Content-Length.
        var file = new FileStream(
            localPath, FileMode.Open, FileAccess.Read, FileShare.Read, CopyBufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file)
        {
            await PutAsync(root, relative, file, cancellationToken);
        }
    }

    private async Task PutAsync(Uri root, string relative, Stream content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(root, ArtifactPaths.Escape(relative)));
        request.Content = new StreamContent(content, CopyBufferSize);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    private async Task<HttpResponseMessage> GetArtifactResponseAsync(Uri root, string relative, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(root, ArtifactPaths.Escape(relative)));
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        try
        {
            await EnsureSuccessAsync(response, cancellationToken);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private async Task DownloadFileAsync(Uri root, string relative, string localPath, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(localPath)!);

        // Write beside the target and move into place, so a failed download never leaves a
        // truncated file under the real name.
        var partial = $"{localPath}.{Guid.NewGuid():N}.partial";
        try
        {
            using (var response = await GetArtifactResponseAsync(root, relative, cancellationToken))
            {
                await using var source = await response.Content.ReadAsStreamAsync(cancellationToken);
                await using var target = new FileStream(
                    partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, CopyBufferSize, FileOptions.Asynchronous);
                await source.CopyToAsync(target, CopyBufferSize, cancellationToken);
            }

            File.Move(partial, localPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(partial))
            {
                File.Delete(partial);
            }
        }
    }
}

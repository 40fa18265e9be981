using Keel.Core.Artifacts;
using Keel.Core.Errors;
using Keel.Core.Registry;
using Keel.Core.Tracking;
using Keel.Server.Endpoints;
using Keel.Server.Serving;
using Keel.Serving.Predictors;

namespace Keel.Server.Deployments;

/// <summary>
/// Models for `keel server`'s deployments, straight from its own registry and artifact store (no
/// HTTP): the files are copied to a scratch folder, loaded, warmed on their input example, and the
/// folder removed (ONNX Runtime and ML.NET keep the model in memory).
/// </summary>
internal sealed class ServerModelSource(RegistryService registry, TrackingService tracking, IArtifactStore artifacts, string scratch) : IModelSource
{
    public async Task<ResolvedModel> ResolveAsync(string uri, CancellationToken ct)
    {
        if (ModelReference.IsModelsUri(uri))
        {
            var version = await registry.ResolveAsync(uri, ct);
            return new ResolvedModel(uri, version.Name, version.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var run = RunReference.Parse(uri);
        return new ResolvedModel(uri, run.ModelName, run.RunId);
    }

    public async Task<ServedModel> LoadAsync(ResolvedModel model, CancellationToken ct)
    {
        var location = await LocationAsync(model, ct);
        var (store, root) = ArtifactsEndpoints.Locate(artifacts, location);
        if (store is null)
        {
            throw KeelException.Invalid($"The files of {model.Uri} are at '{location}', which this server cannot read.");
        }

        var folder = Path.Combine(scratch, Guid.NewGuid().ToString("N"));
        try
        {
            if (await CopyAsync(store, root, folder, ct) == 0)
            {
                throw KeelException.NotFound($"No files at '{location}' for {model.Uri}.");
            }

            var predictor = ModelLoader.Load(folder, ModelWarmUp.ServingLoadOptions);
            try
            {
                ModelWarmUp.Run(predictor, folder);
            }
            catch
            {
                predictor.Dispose();
                throw;
            }

            return new ServedModel(model.Name, model.Version, model.Uri, predictor, predictor);
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
                // Nothing was copied.
            }
        }
    }

    private async Task<string> LocationAsync(ResolvedModel model, CancellationToken ct)
    {
        if (ModelReference.IsModelsUri(model.Uri))
        {
            return await registry.GetDownloadUriAsync(model.Name, model.Version, ct);
        }

        var run = RunReference.Parse(model.Uri);
        var info = (await tracking.GetRunAsync(run.RunId, ct)).Info;
        return run.Path.Length == 0 ? info.ArtifactUri : info.ArtifactUri.TrimEnd('/') + "/" + run.Path;
    }

    /// <summary>Copies every file under <paramref name="root"/> into <paramref name="folder"/>; returns how many.</summary>
    private static async Task<int> CopyAsync(IArtifactStore store, string root, string folder, CancellationToken ct)
    {
        var entries = await store.ListAsync(root, ct);
        if (entries is null)
        {
            return 0;
        }

        Directory.CreateDirectory(folder);
        var count = 0;
        foreach (var entry in entries)
        {
            var name = Path.GetFileName(entry.Name.TrimEnd('/'));
            var path = root.Length == 0 ? name : root + "/" + name;
            if (entry.IsDirectory)
            {
                count += await CopyAsync(store, path, Path.Combine(folder, name), ct);
                continue;
            }

            await using var source = await store.OpenReadAsync(path, ct) ?? throw KeelException.NotFound($"Artifact '{path}' vanished while it was copied.");
            await using var target = File.Create(Path.Combine(folder, name));
            await source.CopyToAsync(target, ct);
            count++;
        }

        return count;
    }
}

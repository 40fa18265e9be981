using System.CommandLine;
using Keel.Client;
using Keel.Client.Models;
using Keel.Core.Deployments;
using Keel.Core.Errors;
using Keel.Core.Inference;
using Keel.Core.Registry;
using Keel.Server.Hosting;
using Keel.Server.Serving;
using Keel.Serving.Predictors;
using Microsoft.Extensions.Hosting;

namespace Keel.Cli.Commands;

/// <summary>
/// `keel serve --model URI|FOLDER` or `--deployment NAME`: one stateless serving process (what a
/// container runs), resolved through the tracking server and cached on disk, or read from a local
/// folder. It follows the alias, stage or deployment by polling, and sends its inference records
/// to the server's inference log.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m")
        {
            Description = "The model: models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/PATH, or a local model folder (no server needed).",
        };
        var deployment = new Option<string?>("--deployment", "-d")
        {
            Description = "A deployment of the tracking server: its routes, weights, shadow and revisions are served and followed.",
        };
        var host = new Option<string>("--host") { Description = "Interface to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port (0 picks a free one).", DefaultValueFactory = _ => 8080 };
        var trackingUri = new Option<string?>("--tracking-uri")
        {
            Description = "The Keel (or MLflow) server that resolves models:/ and runs:/ URIs (default: KEEL_TRACKING_URI, else MLFLOW_TRACKING_URI, else " + KeelClient.DefaultTrackingUri + ").",
        };
        var cache = new Option<string?>("--cache-dir") { Description = "Where downloaded models are kept (default: KEEL_MODEL_CACHE, else the user's local data folder)." };
        var refresh = new Option<double>("--refresh-seconds")
        {
            Description = "How often an alias, stage, latest URI or deployment is resolved again; what moved is loaded, then swapped in without dropping requests (default 10).",
            DefaultValueFactory = _ => 10,
        };
        var noLog = new Option<bool>("--no-inference-log") { Description = "Do not send inference records to the tracking server." };
        var command = new Command("serve", "Serve one model or deployment over MLflow's scoring protocol (/invocations), the Open Inference Protocol v2 (/v2/models/NAME/infer) and /metrics.");
        foreach (var option in new Option[] { model, deployment, host, port, trackingUri, cache, refresh, noLog })
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            if ((result.GetValue(model) is null) == (result.GetValue(deployment) is null))
            {
                result.AddError("Give exactly one of --model and --deployment.");
            }
        });

        command.SetAction(async (parse, ct) =>
        {
            var target = parse.GetValue(model) ?? parse.GetValue(deployment)!;
            var source = new ClientModelSource(parse.GetValue(trackingUri), parse.GetValue(cache));
            var options = new ServeOptions { Host = parse.GetValue(host)!, Port = parse.GetValue(port) };
            options.RefreshInterval = TimeSpan.FromSeconds(Math.Max(0.1, parse.GetValue(refresh)));
            DeploymentRuntime runtime;
            try
            {
                if (parse.GetValue(deployment) is { } name)
                {
                    runtime = await LoadDeploymentAsync(name, source, ct);
                    options.Refresh = (served, token) => RefreshDeploymentAsync(served, source, token);
                }
                else
                {
                    runtime = await LoadModelAsync(target, source, ct);
                    if (Follows(target))
                    {
                        options.Refresh = (served, token) => served.RefreshAsync(source, token);
                    }
                }
            }
            catch (Exception e) when (e is KeelException or KeelApiException or HttpRequestException or ArgumentException or NotSupportedException or IOException)
            {
                await Console.Error.WriteLineAsync($"error: cannot load {target}: {e.Message}");
                return 1;
            }

            var local = parse.GetValue(deployment) is null && Directory.Exists(target);
            if (!local && !parse.GetValue(noLog))
            {
                options.InferenceSink = new ClientInferenceSink(source.Client);
            }

            await using var app = ServingApp.Build(options, runtime);
            await app.StartAsync(ct);
            var table = runtime.Current;
            Console.WriteLine($"Keel {KeelEndpointRouteBuilderExtensions.Version} serving {runtime.Name} (revision {table.Revision}: "
                + string.Join(", ", table.Routes.Select(r => $"{r.Name}={r.Model.Name}/{r.Model.Version} {r.Model.Predictor.Flavor}"))
                + $") on {KeelApp.BoundAddress(app)}");
            Console.WriteLine($"  POST /invocations  ·  POST /v2/models/{runtime.Name}/infer  ·  GET /ping  ·  GET /metrics");
            await app.WaitForShutdownAsync(ct);
            return 0;
        });
        return command;
    }

    /// <summary>URIs whose target can move: an alias, a stage, or the latest version.</summary>
    internal static bool Follows(string model) =>
        ModelReference.IsModelsUri(model) && ModelReference.Parse(model).Kind is not ModelReferenceKind.Version;

    /// <summary>One model served as a deployment of one route, named after the model.</summary>
    internal static async Task<DeploymentRuntime> LoadModelAsync(string model, IModelSource source, CancellationToken ct)
    {
        var resolved = await source.ResolveAsync(model, ct);
        var spec = new DeploymentSpec([new RouteSpec("primary", model, 100)], null, null, InferenceLogSpec.Default, null);
        return new DeploymentRuntime(await DeploymentRuntime.BuildAsync(resolved.Name, 0, spec, source, null, ct));
    }

    /// <summary>A deployment of the tracking server, at its current revision.</summary>
    internal static async Task<DeploymentRuntime> LoadDeploymentAsync(string name, ClientModelSource source, CancellationToken ct)
    {
        var deployment = await source.Client.GetDeploymentAsync(name, ct);
        return new DeploymentRuntime(await DeploymentRuntime.BuildAsync(name, deployment.Revision, deployment.Spec, source, null, ct));
    }

    /// <summary>A new revision on the server is applied; otherwise routes following an alias or stage re-resolve.</summary>
    internal static async Task RefreshDeploymentAsync(DeploymentRuntime runtime, ClientModelSource source, CancellationToken ct)
    {
        var deployment = await source.Client.GetDeploymentAsync(runtime.Name, ct);
        if (deployment.Revision != runtime.Current.Revision)
        {
            await runtime.ApplyAsync(deployment.Revision, deployment.Spec, source, ct);
            return;
        }

        await runtime.RefreshAsync(source, ct);
    }
}

/// <summary>Models through the tracking server (cached on disk by content hash), or a local folder.</summary>
internal sealed class ClientModelSource(string? trackingUri, string? cacheDir) : IModelSource, IDisposable
{
    private KeelClient? _client;

    public KeelClient Client => _client ??= trackingUri is { Length: > 0 }
        ? new KeelClient(KeelClient.ParseTrackingUri(trackingUri, "--tracking-uri"))
        : KeelClient.FromEnvironment();

    public async Task<ResolvedModel> ResolveAsync(string uri, CancellationToken ct)
    {
        if (Directory.Exists(uri))
        {
            var folder = Path.GetFullPath(uri);
            return new ResolvedModel(folder, Path.GetFileName(folder.TrimEnd(Path.DirectorySeparatorChar)), "local");
        }

        if (ModelReference.IsModelsUri(uri))
        {
            var version = await Client.ResolveModelVersionAsync(uri, ct);
            return new ResolvedModel(uri, version.Name, version.Version);
        }

        if (RunReference.IsRunsUri(uri))
        {
            var run = RunReference.Parse(uri);
            return new ResolvedModel(uri, run.ModelName, run.RunId);
        }

        if (uri.Contains(":/", StringComparison.Ordinal))
        {
            // Another artifact URI (mlflow-artifacts:/…): loaded as it is, one version.
            return new ResolvedModel(uri, uri, "1");
        }

        throw KeelException.NotFound($"'{uri}' is neither a model folder nor a models:/ or runs:/ URI.");
    }

    public void Dispose() => _client?.Dispose();

    public async Task<ServedModel> LoadAsync(ResolvedModel model, CancellationToken ct)
    {
        if (model.Version == "local" && Directory.Exists(model.Uri))
        {
            var predictor = ModelLoader.Load(model.Uri, ModelWarmUp.ServingLoadOptions);
            return new ServedModel(model.Name, model.Version, model.Uri, predictor, predictor);
        }

        // Exactly the resolved version's files (by download URI), so name, version and files agree.
        var files = ModelReference.IsModelsUri(model.Uri)
            ? await Client.GetModelVersionDownloadUriAsync(model.Name, model.Version, ct)
            : model.Uri;
        var loaded = await Client.LoadModelAsync(files, new KeelModelOptions { CacheDirectory = cacheDir, LoadOptions = ModelWarmUp.ServingLoadOptions }, ct);
        try
        {
            ModelWarmUp.Run(loaded.Predictor, loaded.LocalPath);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }

        return new ServedModel(model.Name, model.Version, model.Uri, loaded.Predictor, loaded);
    }
}

/// <summary>Inference records of `keel serve`, sent in batches to the tracking server's inference log.</summary>
internal sealed class ClientInferenceSink(KeelClient client) : IInferenceSink
{
    public Task WriteAsync(IReadOnlyList<InferenceRecord> records, CancellationToken ct) => client.LogInferenceAsync(records, ct);
}

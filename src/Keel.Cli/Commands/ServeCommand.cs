using System.CommandLine;
using Keel.Client;
using Keel.Client.Models;
using Keel.Core.Errors;
using Keel.Core.Registry;
using Keel.Server.Hosting;
using Keel.Server.Serving;
using Keel.Serving.Predictors;
using Microsoft.Extensions.Hosting;

namespace Keel.Cli.Commands;

/// <summary>
/// `keel serve --model URI|FOLDER`: one stateless serving process (what a container runs) for one
/// model, resolved through the tracking server and cached on disk, or read from a local folder.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m")
        {
            Description = "The model: models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/PATH, or a local model folder (no server needed).",
            Required = true,
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
            Description = "How often an alias, stage or latest URI is resolved again; a new version is loaded, then swapped in without dropping requests (default 10).",
            DefaultValueFactory = _ => 10,
        };
        var command = new Command("serve", "Serve one model over MLflow's scoring protocol (/invocations) and the Open Inference Protocol v2 (/v2/models/NAME/infer).");
        foreach (var option in new Option[] { model, host, port, trackingUri, cache, refresh })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, ct) =>
        {
            ServedModel served;
            try
            {
                served = await LoadAsync(parse.GetValue(model)!, parse.GetValue(trackingUri), parse.GetValue(cache), ct);
            }
            catch (Exception e) when (e is KeelException or KeelApiException or HttpRequestException or ArgumentException or NotSupportedException or IOException)
            {
                await Console.Error.WriteLineAsync($"error: cannot load {parse.GetValue(model)}: {e.Message}");
                return 1;
            }

            var options = new ServeOptions { Host = parse.GetValue(host)!, Port = parse.GetValue(port) };
            if (Follows(parse.GetValue(model)!))
            {
                options.RefreshInterval = TimeSpan.FromSeconds(Math.Max(0.1, parse.GetValue(refresh)));
                options.Refresh = (current, token) => RefreshAsync(parse.GetValue(model)!, current, parse.GetValue(trackingUri), parse.GetValue(cache), token);
            }

            await using var app = ServingApp.Build(options, served);
            await app.StartAsync(ct);
            Console.WriteLine($"Keel {KeelEndpointRouteBuilderExtensions.Version} serving {served.Name} version {served.Version} ({served.Predictor.Flavor}, from {served.Source}) on {KeelApp.BoundAddress(app)}");
            Console.WriteLine($"  POST /invocations  ·  POST /v2/models/{served.Name}/infer  ·  GET /ping");
            await app.WaitForShutdownAsync(ct);
            return 0;
        });
        return command;
    }

    /// <summary>URIs whose target can move: an alias, a stage, or the latest version.</summary>
    internal static bool Follows(string model) =>
        ModelReference.IsModelsUri(model) && ModelReference.Parse(model).Kind is not ModelReferenceKind.Version;

    /// <summary>The model <paramref name="model"/> names now, loaded, when it is another version than <paramref name="current"/>.</summary>
    internal static async Task<ServedModel?> RefreshAsync(string model, ServedModel current, string? trackingUri, string? cacheDir, CancellationToken ct)
    {
        using var client = Client(trackingUri);
        var resolved = await client.ResolveModelVersionAsync(model, ct);
        return string.Equals(resolved.Version, current.Version, StringComparison.Ordinal) && string.Equals(resolved.Name, current.Name, StringComparison.Ordinal)
            ? null
            : await LoadVersionAsync(client, model, resolved, cacheDir, ct);
    }

    /// <summary>Loads exactly the resolved version (its files by download URI), so name, version and files agree.</summary>
    private static async Task<ServedModel> LoadVersionAsync(KeelClient client, string source, Keel.Client.ModelVersion version, string? cacheDir, CancellationToken ct)
    {
        var files = await client.GetModelVersionDownloadUriAsync(version.Name, version.Version, ct);
        var loaded = await client.LoadModelAsync(files, new KeelModelOptions { CacheDirectory = cacheDir }, ct);
        return new ServedModel(version.Name, version.Version, source, loaded.Predictor, loaded);
    }

    private static KeelClient Client(string? trackingUri) => trackingUri is { Length: > 0 }
        ? new KeelClient(KeelClient.ParseTrackingUri(trackingUri, "--tracking-uri"))
        : KeelClient.FromEnvironment();

    /// <summary>A local folder loads directly; anything else resolves through the tracking server.</summary>
    internal static async Task<ServedModel> LoadAsync(string model, string? trackingUri, string? cacheDir, CancellationToken ct)
    {
        if (Directory.Exists(model))
        {
            var folder = Path.GetFullPath(model);
            var predictor = ModelLoader.Load(folder);
            return new ServedModel(Path.GetFileName(folder.TrimEnd(Path.DirectorySeparatorChar)), "local", folder, predictor, predictor);
        }

        using var client = Client(trackingUri);
        if (ModelReference.IsModelsUri(model))
        {
            return await LoadVersionAsync(client, model, await client.ResolveModelVersionAsync(model, ct), cacheDir, ct);
        }

        var (name, version) = (model, "1");
        if (RunReference.IsRunsUri(model))
        {
            var run = RunReference.Parse(model);
            (name, version) = (run.Path.Length == 0 ? "model" : run.Path.Replace('/', '-'), run.RunId);
        }

        var loaded = await client.LoadModelAsync(model, new KeelModelOptions { CacheDirectory = cacheDir }, ct);
        return new ServedModel(name, version, model, loaded.Predictor, loaded);
    }
}

using System.Diagnostics;
using System.Text.Json;
using Keel.Core.Errors;
using Keel.Server.Hosting;
using Keel.Serving.Predictors;
using Keel.Serving.Protocols;
using Keel.Tabular;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Keel.Server.Serving;

/// <summary>The deployments a process serves, by name.</summary>
public interface IDeploymentDirectory
{
    /// <summary>The deployment a name addresses (`/deployments/{name}`, `/v2/models/{name}`), or null.</summary>
    DeploymentRuntime? Find(string name);

    /// <summary>What `/invocations` scores with in `keel serve`; null in `keel server`, which serves named deployments only.</summary>
    DeploymentRuntime? Default { get; }
}

/// <summary>
/// The scoring routes: MLflow's (reference §7) and the Open Inference Protocol v2, over
/// deployments. Each request leases the deployment's current route table, picks a route (by
/// weight, or by the sticky header's hash), scores, and hands a record to the inference log and
/// possibly a copy to the shadow — neither of which it waits for.
/// </summary>
internal static class ServingEndpoints
{
    public const string RequestIdHeader = "X-Request-Id";
    public const string ModelVersionHeader = "X-Keel-Model-Version";
    public const string RouteHeader = "X-Keel-Route";
    public const string RevisionHeader = "X-Keel-Revision";

    /// <param name="single">`keel serve`: also `/invocations`, `/ping`, `/health`, `/version` for its one deployment.</param>
    public static IEndpointRouteBuilder MapServingEndpoints(this IEndpointRouteBuilder app, bool single)
    {
        // The scoring routes take their (singleton) services from the app's root provider: asking
        // HttpContext.RequestServices makes a service scope per request.
        var services = new ServingServices(app.ServiceProvider);
        if (single)
        {
            // MLflow's scoring server answers a loaded model's health checks with "\n" as JSON.
            app.MapGet("/ping", Healthy);
            app.MapGet("/health", Healthy);
            app.MapGet("/version", () => Results.Text(KeelEndpointRouteBuilderExtensions.Version));
            app.MapPost("/invocations", context => InvocationsAsync(context, services.Directory.Default!, services));
        }

        // The scoring routes are request delegates that read their route values themselves: a
        // delegate with bound parameters, or an endpoint filter, costs every request its binding
        // and invocation context (docs/benchmarks.md, serving, seventh pass).
        app.MapPost("/deployments/{name}/invocations", context => InvocationsAsync(context, services.Find(RouteValue(context, "name")!), services));
        app.MapPost("/v2/models/{name}/infer", context => InferAsync(context, services, RouteValue(context, "name")!));
        app.MapPost("/v2/models/{name}/versions/{version}/infer", context => InferAsync(context, services, RouteValue(context, "name")!, RouteValue(context, "version")));

        var v2 = app.MapGroup("/v2").AddEndpointFilter(OpenInferenceErrors);
        v2.MapGet("/", () => Results.Json(new { name = "keel", version = KeelEndpointRouteBuilderExtensions.Version, extensions = Array.Empty<string>() }));
        v2.MapGet("/health/live", () => Results.Json(new { live = true }));
        v2.MapGet("/health/ready", () => Results.Json(new { ready = true }));
        v2.MapGet("/models/{name}", (HttpContext context, string name) => Metadata(context, services.Find(name), name));
        v2.MapGet("/models/{name}/versions/{version}", (HttpContext context, string name, string version) => Metadata(context, services.Find(name), name, version));
        v2.MapGet("/models/{name}/ready", (string name) => Ready(services.Find(name), name));
        v2.MapGet("/models/{name}/versions/{version}/ready", (string name, string version) => Ready(services.Find(name), name, version));
        return app;
    }

    private static IResult Healthy(HttpContext context) => Results.Text("\n", "application/json");

    private static Task InvocationsAsync(HttpContext context, DeploymentRuntime runtime, ServingServices services) =>
        ScoreAsync(context, services, runtime, version: null, static async (scoring, route) =>
        {
            var context = scoring.Context;
            var model = route.Model;
            var check = MlflowScoring.CheckContentType(context.Request.ContentType);
            if (check.Error is { } unsupported)
            {
                throw new UnsupportedMediaException(unsupported);
            }

            // The body is read whole first (it is bounded by Kestrel's limit): the CSV reader reads synchronously.
            var body = await ReadBodyAsync(context);
            var input = check.IsCsv
                ? await MlflowScoring.ParseCsvAsync(new MemoryStream(body.Array!, body.Offset, body.Count, writable: false), model.Predictor.Signature, context.RequestAborted)
                : MlflowScoring.ParseJson(body.AsMemory(), model.Predictor.Signature);
            scoring.Input = input.Table;
            scoring.InputsSplit = input.SplitJson;
            var result = scoring.Result = await route.PredictAsync(input.Table);

            // Written whole first: the response gets a Content-Length (no chunked framing), and the
            // inference log keeps these same bytes as the record's outputs instead of writing them again.
            var json = ResponseJson.Acquire();
            MlflowScoring.WritePredictions(json.Writer, result);
            var answer = json.Finish();
            if (scoring.Logged)
            {
                scoring.OutputsUtf8 = answer.ToArray();
            }

            await SendJsonAsync(context, answer);
        });

    private static string? RouteValue(HttpContext context, string name) => context.Request.RouteValues[name] as string;

    /// <summary>OIP v2 infer; its errors are `{"error": "..."}`, as the other `/v2` routes' (their filter).</summary>
    private static async Task InferAsync(HttpContext context, ServingServices services, string name, string? version = null)
    {
        try
        {
            await ScoreAsync(context, services, services.Find(name), version, static async (scoring, route) =>
            {
                var context = scoring.Context;
                var model = route.Model;
                var request = OpenInference.ParseInfer((await ReadBodyAsync(context)).AsMemory(), model.Predictor.Signature);
                scoring.Input = request.Table;
                scoring.InputsData = request.DataJson;
                var result = scoring.Result = await route.PredictAsync(request.Table);
                var json = ResponseJson.Acquire();
                OpenInference.WriteInferResponse(json.Writer, model.Name, model.Version, request.Id ?? scoring.RequestId, result, request.RequestedOutputs);
                await SendJsonAsync(context, json.Finish());
            });
        }
        catch (KeelException e) when (!context.Response.HasStarted)
        {
            context.Response.StatusCode = e.Code.HttpStatus();
            var json = ResponseJson.Acquire();
            json.Writer.WriteStartObject();
            json.Writer.WriteString("error"u8, e.Message);
            json.Writer.WriteEndObject();
            await SendJsonAsync(context, json.Finish(), "application/json; charset=utf-8");
        }
    }

    /// <summary>One scoring request: lease, route, score, then metrics, shadow copy and inference record.</summary>
    private static async Task ScoreAsync(
        HttpContext context, ServingServices services, DeploymentRuntime runtime, string? version, Func<Scoring, ActiveRoute, Task> score)
    {
        using var lease = runtime.Host.Acquire();
        var table = lease.Value;
        var route = version is null
            ? table.Pick(table.StickyHeader is { } header ? context.Request.Headers[header].ToString() : null)
            : table.ByVersion(version) ?? throw KeelException.NotFound(
                $"Deployment '{runtime.Name}' serves versions [{string.Join(", ", table.Routes.Select(r => r.Model.Version).Distinct())}], not version '{version}'.");
        var model = route.Model;
        var time = services.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var rate = table.Spec.InferenceLog.SampleRate;
        var scoring = new Scoring(context, Stamp(context, model, route, table, time))
        {
            // Decided before scoring, so the request knows whether to keep its output JSON for the record.
            Logged = rate >= 1 || (rate > 0 && Random.Shared.NextDouble() < rate),
        };
        var started = Stopwatch.GetTimestamp();
        var status = StatusCodes.Status200OK;
        string? error = null;
        try
        {
            await score(scoring, route);
        }
        catch (UnsupportedMediaException e)
        {
            (status, error) = (StatusCodes.Status415UnsupportedMediaType, e.Message);
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(e.Message, context.RequestAborted);
        }
        catch (KeelException e)
        {
            (status, error) = (e.Code.HttpStatus(), e.Message);
            throw;
        }
        catch (BadHttpRequestException e)
        {
            // An over-size or broken body: logged with the status the caller gets (413, 400), not 500.
            (status, error) = (e.StatusCode, e.Message);
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            (status, error) = (StatusCodes.Status500InternalServerError, e.Message);
            throw;
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            services.Metrics.Observe(runtime.Name, route.Name, model.Version, status, elapsed.TotalSeconds);
            var shadowed = status == StatusCodes.Status200OK && table.Shadow is { } shadow && scoring.Input is { } input
                && Random.Shared.NextDouble() < table.ShadowShare
                && services.Shadow.TryQueue(runtime.Name, shadow, scoring.RequestId, input, time);
            if (shadowed || scoring.Logged)
            {
                services.Log.TryEnqueue(new PendingInference(
                    scoring.RequestId, runtime.Name, model.Name, model.Version, route.Name, false, time, elapsed.TotalMilliseconds,
                    status, error, scoring.Input, scoring.Result)
                {
                    OutputsUtf8 = status == StatusCodes.Status200OK ? scoring.OutputsUtf8 : default,
                    InputsSplit = scoring.InputsSplit,
                    InputsData = scoring.InputsData,
                });
            }
        }
    }

    private static IResult Metadata(HttpContext context, DeploymentRuntime runtime, string name, string? version = null)
    {
        using var lease = runtime.Host.Acquire();
        var table = lease.Value;
        var model = (version is null ? table.Routes[0] : table.ByVersion(version) ?? throw KeelException.NotFound(
            $"Model '{name}' version '{version}' is not served here.")).Model;
        context.Response.Headers[ModelVersionHeader] = model.Version;
        string[] versions = version is null ? [.. table.Routes.Select(r => r.Model.Version).Distinct()] : [version];
        return new JsonWriterResult(w => OpenInference.WriteModelMetadata(w, name, versions, Platform(model), model.Predictor.Signature));
    }

    private static IResult Ready(DeploymentRuntime runtime, string name, string? version = null)
    {
        using var lease = runtime.Host.Acquire();
        if (version is not null && lease.Value.ByVersion(version) is null)
        {
            throw KeelException.NotFound($"Model '{name}' version '{version}' is not served here.");
        }

        return Results.Json(new { name, ready = true });
    }

    /// <summary>Sets X-Request-Id (the caller's, or a new one), the version, route and revision headers; returns the request id.</summary>
    private static string Stamp(HttpContext context, ServedModel model, ActiveRoute route, RouteTable table, long time)
    {
        var id = context.Request.Headers[RequestIdHeader].ToString();
        if (string.IsNullOrWhiteSpace(id) || id.Length > 200)
        {
            // Time-ordered (UUIDv7), not the (random) trace id: the inference log's request index
            // then grows at its end instead of dirtying a random page per record (docs/benchmarks.md).
            id = RequestIds.Next(time);
        }

        var headers = context.Response.Headers;
        headers[RequestIdHeader] = id;
        headers[ModelVersionHeader] = model.Version;
        headers[RouteHeader] = route.Name;
        headers[RevisionHeader] = table.RevisionText;
        return id;
    }

    /// <summary>Sends a whole JSON body with its Content-Length; the bytes are copied into the response before anything is awaited.</summary>
    private static async Task SendJsonAsync(HttpContext context, ReadOnlyMemory<byte> body, string contentType = "application/json")
    {
        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        System.Buffers.BuffersExtensions.Write(context.Response.BodyWriter, body.Span);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private static string Platform(ServedModel model) => model.Predictor.Flavor == "onnx" ? "onnxruntime_onnx" : "mlnet";

    /// <summary>The whole body (bounded by Kestrel's limit), copied once out of the request pipe into an array of its size.</summary>
    private static async ValueTask<ArraySegment<byte>> ReadBodyAsync(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(context.RequestAborted);
            var buffer = read.Buffer;
            if (read.IsCanceled)
            {
                throw new OperationCanceledException("The request body's read was cancelled.");
            }

            if (read.IsCompleted)
            {
                var body = buffer.IsEmpty ? [] : System.Buffers.BuffersExtensions.ToArray(buffer);
                reader.AdvanceTo(buffer.End);
                return body;
            }

            // Nothing consumed, everything examined: the next read returns the body so far and more.
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>The Open Inference Protocol's error body is `{"error": "..."}`, not MLflow's.</summary>
    private static async ValueTask<object?> OpenInferenceErrors(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (KeelException e)
        {
            return Results.Json(new { error = e.Message }, statusCode: e.Code.HttpStatus());
        }
    }

    /// <summary>What one request scored, for the inference log and the shadow.</summary>
    private sealed class Scoring(HttpContext context, string requestId)
    {
        public HttpContext Context { get; } = context;

        public string RequestId { get; } = requestId;

        public Table? Input { get; set; }

        public PredictionResult? Result { get; set; }

        /// <summary>Whether this request's record goes to the inference log (its sampling draw).</summary>
        public bool Logged { get; init; }

        /// <summary>The request's own `dataframe_split` object when the one-pass reader took it, for the log.</summary>
        public ReadOnlyMemory<byte> InputsSplit { get; set; }

        /// <summary>The request's own list of numbers, row-major over the input table's columns, when the one-pass OIP reader took it.</summary>
        public ReadOnlyMemory<byte> InputsData { get; set; }

        /// <summary>The `{"predictions": ...}` body the request answered with, kept for the log.</summary>
        public ReadOnlyMemory<byte> OutputsUtf8 { get; set; }
    }

    /// <summary>
    /// A response body written whole before it is sent, with a buffer and JSON writer reused by the
    /// thread (the body is copied into the response before the request awaits anything).
    /// </summary>
    private sealed class ResponseJson
    {
        [ThreadStatic]
        private static ResponseJson? _cached;

        private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new(512);

        // Relaxed escaping, as the rest of the API writes: a message's quotes stay `'`, not `\u0027`
        // (the body is JSON for clients, never embedded in HTML).
        private ResponseJson() => Writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

        public Utf8JsonWriter Writer { get; }

        public static ResponseJson Acquire()
        {
            var json = _cached ??= new ResponseJson();
            if (json._buffer.Capacity > 1 << 20)
            {
                // A huge response once does not pin its buffer to the thread for good.
                json = _cached = new ResponseJson();
            }

            json._buffer.ResetWrittenCount();
            json.Writer.Reset(json._buffer);
            return json;
        }

        /// <summary>The body; valid until this thread acquires the buffer again.</summary>
        public ReadOnlyMemory<byte> Finish()
        {
            Writer.Flush();
            return _buffer.WrittenMemory;
        }
    }

    private sealed class UnsupportedMediaException(string message) : Exception(message);

    /// <summary>The singletons a scoring request uses, resolved once from the app's root provider.</summary>
    private sealed class ServingServices(IServiceProvider root)
    {
        private IDeploymentDirectory? _directory;
        private TimeProvider? _clock;
        private ServingMetrics? _metrics;
        private ShadowRunner? _shadow;
        private InferenceLog? _log;

        public IDeploymentDirectory Directory => _directory ??= root.GetRequiredService<IDeploymentDirectory>();

        public TimeProvider Clock => _clock ??= root.GetRequiredService<TimeProvider>();

        public ServingMetrics Metrics => _metrics ??= root.GetRequiredService<ServingMetrics>();

        public ShadowRunner Shadow => _shadow ??= root.GetRequiredService<ShadowRunner>();

        public InferenceLog Log => _log ??= root.GetRequiredService<InferenceLog>();

        public DeploymentRuntime Find(string name) =>
            Directory.Find(name) ?? throw KeelException.NotFound($"No deployment or model named '{name}' is served here.");
    }

    /// <summary>A JSON body written straight to the response with <see cref="Utf8JsonWriter"/>.</summary>
    private sealed class JsonWriterResult(Action<Utf8JsonWriter> write) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            // Written whole first, so the response has a Content-Length (no chunked framing).
            var json = ResponseJson.Acquire();
            write(json.Writer);
            await SendJsonAsync(httpContext, json.Finish());
        }
    }
}

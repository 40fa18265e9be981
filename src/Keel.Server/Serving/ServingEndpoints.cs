using System.Diagnostics;
using System.Text.Json;
using Keel.Core.Errors;
using Keel.Server.Hosting;
using Keel.Serving.Protocols;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Keel.Server.Serving;

/// <summary>The scoring routes: MLflow's (reference §7) and the Open Inference Protocol v2.</summary>
internal static class ServingEndpoints
{
    public const string RequestIdHeader = "X-Request-Id";
    public const string ModelVersionHeader = "X-Keel-Model-Version";

    public static IEndpointRouteBuilder MapServingEndpoints(this IEndpointRouteBuilder app)
    {
        // MLflow's scoring server answers a loaded model's health checks with "\n" as JSON.
        app.MapGet("/ping", Healthy);
        app.MapGet("/health", Healthy);
        app.MapGet("/version", () => Results.Text(KeelEndpointRouteBuilderExtensions.Version));
        app.MapPost("/invocations", InvocationsAsync);

        var v2 = app.MapGroup("/v2").AddEndpointFilter(OpenInferenceErrors);
        v2.MapGet("/", () => Results.Json(new { name = "keel", version = KeelEndpointRouteBuilderExtensions.Version, extensions = Array.Empty<string>() }));
        v2.MapGet("/health/live", () => Results.Json(new { live = true }));
        v2.MapGet("/health/ready", () => Results.Json(new { ready = true }));
        v2.MapGet("/models/{name}", Metadata);
        v2.MapGet("/models/{name}/versions/{version}", Metadata);
        v2.MapGet("/models/{name}/ready", Ready);
        v2.MapGet("/models/{name}/versions/{version}/ready", Ready);
        v2.MapPost("/models/{name}/infer", InferAsync);
        v2.MapPost("/models/{name}/versions/{version}/infer", InferAsync);
        return app;
    }

    private static IResult Healthy(HttpContext context) => Results.Text("\n", "application/json");

    private static async Task InvocationsAsync(HttpContext context)
    {
        using var lease = context.RequestServices.GetRequiredService<ModelHost>().Acquire();
        var model = lease.Model;
        Stamp(context, model);
        var check = MlflowScoring.CheckContentType(context.Request.ContentType);
        if (check.Error is { } unsupported)
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(unsupported, context.RequestAborted);
            return;
        }

        // The body is read whole first (it is bounded by Kestrel's limit): the CSV reader reads synchronously.
        var body = await ReadBodyAsync(context);
        var input = check.IsCsv
            ? await MlflowScoring.ParseCsvAsync(new MemoryStream(body.Array!, body.Offset, body.Count, writable: false), model.Predictor.Signature, context.RequestAborted)
            : MlflowScoring.ParseJson(body, model.Predictor.Signature);
        var result = model.Predictor.Predict(input.Table);
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
        MlflowScoring.WritePredictions(writer, result);
        await writer.FlushAsync(context.RequestAborted);
    }

    private static IResult Metadata(HttpContext context, string name, string? version = null)
    {
        using var lease = context.RequestServices.GetRequiredService<ModelHost>().Acquire();
        var model = Find(lease.Model, name, version);
        Stamp(context, model);
        return new JsonWriterResult(w => OpenInference.WriteModelMetadata(w, model.Name, [model.Version], Platform(model), model.Predictor.Signature));
    }

    private static IResult Ready(HttpContext context, string name, string? version = null)
    {
        using var lease = context.RequestServices.GetRequiredService<ModelHost>().Acquire();
        var model = Find(lease.Model, name, version);
        Stamp(context, model);
        return Results.Json(new { name = model.Name, ready = true });
    }

    private static async Task<IResult> InferAsync(HttpContext context, string name, string? version = null)
    {
        using var lease = context.RequestServices.GetRequiredService<ModelHost>().Acquire();
        var model = Find(lease.Model, name, version);
        var requestId = Stamp(context, model);
        var request = OpenInference.ParseInfer(await ReadBodyAsync(context), model.Predictor.Signature);
        var result = model.Predictor.Predict(request.Table);
        // The response is written here, inside the lease; the predictions are already computed.
        return new JsonWriterResult(w => OpenInference.WriteInferResponse(w, model.Name, model.Version, request.Id ?? requestId, result, request.RequestedOutputs));
    }

    /// <summary>Sets X-Request-Id (the caller's, or a new one) and X-Keel-Model-Version; returns the request id.</summary>
    private static string Stamp(HttpContext context, ServedModel model)
    {
        var id = context.Request.Headers[RequestIdHeader].ToString();
        if (string.IsNullOrWhiteSpace(id) || id.Length > 200)
        {
            id = Activity.Current?.TraceId.ToString() ?? Guid.NewGuid().ToString("N");
        }

        context.Response.Headers[RequestIdHeader] = id;
        context.Response.Headers[ModelVersionHeader] = model.Version;
        return id;
    }

    private static ServedModel Find(ServedModel model, string name, string? version)
    {
        if (!string.Equals(model.Name, name, StringComparison.Ordinal) || (version is not null && !string.Equals(model.Version, version, StringComparison.Ordinal)))
        {
            throw KeelException.NotFound(version is null
                ? $"Model '{name}' is not served here; this server serves '{model.Name}' (version {model.Version})."
                : $"Model '{name}' version '{version}' is not served here; this server serves '{model.Name}' version {model.Version}.");
        }

        return model;
    }

    private static string Platform(ServedModel model) => model.Predictor.Flavor == "onnx" ? "onnxruntime_onnx" : "mlnet";

    /// <summary>The whole body (bounded by Kestrel's limit) in one buffer sized from Content-Length, without a second copy.</summary>
    private static async Task<ArraySegment<byte>> ReadBodyAsync(HttpContext context)
    {
        var buffer = new MemoryStream((int)Math.Clamp(context.Request.ContentLength ?? 0, 0, 1 << 20));
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        return buffer.TryGetBuffer(out var body) ? body : buffer.ToArray();
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

    /// <summary>A JSON body written straight to the response with <see cref="Utf8JsonWriter"/>.</summary>
    private sealed class JsonWriterResult(Action<Utf8JsonWriter> write) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = "application/json";
            await using var writer = new Utf8JsonWriter(httpContext.Response.BodyWriter);
            write(writer);
            await writer.FlushAsync(httpContext.RequestAborted);
        }
    }
}

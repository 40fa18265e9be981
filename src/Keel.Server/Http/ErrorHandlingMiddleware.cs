using System.Text.Json;
using Keel.Core.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Http;

/// <summary>
/// The one place exceptions become HTTP answers: <see cref="KeelException"/> by its code (reference
/// §1.4), an over-size body as 413, anything else as INTERNAL_ERROR — always MLflow's JSON body.
/// </summary>
internal sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            RejectDotDotSegments(context);
            await next(context);
        }
        catch (KeelException e)
        {
            await WriteAsync(context, e.Code.HttpStatus(), e.Code.ToString(), e.Message);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteAsync(context, e.StatusCode, nameof(ErrorCode.INVALID_PARAMETER_VALUE),
                $"Request body too large: the limit is {MaxBodyMb(context)} MiB (--max-request-mb). Split the request, or upload files through the artifact endpoints.");
        }
        catch (BadHttpRequestException e)
        {
            await WriteAsync(context, e.StatusCode, nameof(ErrorCode.BAD_REQUEST), e.Message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (Exception e)
        {
            LogUnhandled(logger, e, context.Request.Method, context.Request.Path);
            await WriteAsync(context, StatusCodes.Status500InternalServerError, nameof(ErrorCode.INTERNAL_ERROR), e.Message);
        }
    }

    public static async Task WriteAsync(HttpContext context, int status, string code, string message)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        // A 405 must name the allowed methods (RFC 9110 §15.5.6); the fallback sets Allow before calling here.
        var allow = context.Response.Headers.Allow;
        // A scoring request's stamp (X-Request-Id, X-Keel-Model-Version, ...) stays on its error too:
        // the caller matches the failure to the inference log's record by that id.
        var stamp = context.Response.Headers
            .Where(h => h.Key.Equals("X-Request-Id", StringComparison.OrdinalIgnoreCase) || h.Key.StartsWith("X-Keel-", StringComparison.OrdinalIgnoreCase))
            .ToList();
        context.Response.Clear();
        if (status == StatusCodes.Status405MethodNotAllowed)
        {
            context.Response.Headers.Allow = allow;
        }

        foreach (var (name, value) in stamp)
        {
            context.Response.Headers[name] = value;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        // Messages quote names ('x'); keep them readable rather than \u0027-escaped.
        await using var writer = new Utf8JsonWriter(context.Response.Body, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        writer.WriteStartObject();
        writer.WriteString("error_code", code);
        writer.WriteString("message", message);
        writer.WriteEndObject();
    }

    /// <summary>
    /// Kestrel removes `..` segments (also `%2e%2e`) from the path before routing, so
    /// `artifacts/a/../../x` would silently address another file, or another route. MLflow sees the
    /// raw path and refuses any `..` with 400 "Invalid path" (reference §2.5); so does Keel, before
    /// anything runs. Encoded slashes (`..%2f`) are not split by Kestrel and reach ArtifactPaths.
    /// </summary>
    private static void RejectDotDotSegments(HttpContext context)
    {
        var raw = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw))
        {
            return;
        }

        var query = raw.IndexOf('?', StringComparison.Ordinal);
        var target = query < 0 ? raw.AsSpan() : raw.AsSpan(0, query);
        if (!target.Contains('.') && !target.Contains('%'))
        {
            // No dot, plain or encoded: nothing to look at (every scoring request).
            return;
        }

        var path = target.ToString();
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length >= 2 && segment.Length <= 6 && Uri.UnescapeDataString(segment) == "..")
            {
                throw KeelException.Invalid($"Invalid path '{path}': request paths must not contain '..' segments.");
            }
        }
    }

    private static string MaxBodyMb(HttpContext context) =>
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } bytes
            ? (bytes / (1024 * 1024)).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : "?";

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error in {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}

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

        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("error_code", code);
        writer.WriteString("message", message);
        writer.WriteEndObject();
    }

    private static string MaxBodyMb(HttpContext context) =>
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } bytes
            ? (bytes / (1024 * 1024)).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : "?";

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error in {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}

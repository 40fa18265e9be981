using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Keel.Server.Http;

/// <summary>
/// A 200 JSON answer written straight to the response with <see cref="Utf8JsonWriter"/>; large
/// bodies (metric histories) flush as they go instead of being built in memory.
/// </summary>
public sealed class JsonResult(Func<Utf8JsonWriter, CancellationToken, Task> write, int statusCode = StatusCodes.Status200OK) : IResult
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>`{}`: several clients require a JSON object body on every 200 (reference §1.3).</summary>
    public static readonly JsonResult Empty = Object(_ => { });

    public static JsonResult Object(Action<Utf8JsonWriter> writeProperties) => new((w, _) =>
    {
        w.WriteStartObject();
        writeProperties(w);
        w.WriteEndObject();
        return Task.CompletedTask;
    });

    public static JsonResult Streamed(Func<Utf8JsonWriter, CancellationToken, Task> writeProperties) => new(async (w, ct) =>
    {
        w.WriteStartObject();
        await writeProperties(w, ct);
        w.WriteEndObject();
    });

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = statusCode;
        response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(response.Body, WriterOptions);
        await write(writer, httpContext.RequestAborted);
        await writer.FlushAsync(httpContext.RequestAborted);
    }

    /// <summary>Flushes when enough is buffered, so a long stream never sits in memory.</summary>
    public static async ValueTask FlushIfLargeAsync(Utf8JsonWriter writer, CancellationToken ct)
    {
        if (writer.BytesPending > 64 * 1024)
        {
            await writer.FlushAsync(ct);
        }
    }
}

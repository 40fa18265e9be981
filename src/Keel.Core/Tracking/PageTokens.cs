using System.Buffers.Text;
using System.Text.Json;
using Keel.Core.Errors;

namespace Keel.Core.Tracking;

/// <summary>
/// Opaque page tokens: URL-safe base64 of a small JSON document. Clients never look inside
/// (reference §1.5); a token that does not decode is a 400.
/// </summary>
public static class PageTokens
{
    public static string Encode<T>(T state) =>
        Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(state));

    public static T Decode<T>(string token)
    {
        try
        {
            var bytes = Base64Url.DecodeFromChars(token);
            return JsonSerializer.Deserialize<T>(bytes) ?? throw Invalid(token);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw Invalid(token);
        }
    }

    private static KeelException Invalid(string token) =>
        KeelException.Invalid($"Invalid page token '{(token.Length > 64 ? token[..64] + "..." : token)}': it was not issued by this server.");

    /// <summary>Offset tokens for histories and lists without a stable key.</summary>
    public static string EncodeOffset(long offset) => Encode(new OffsetToken(offset));

    public static long DecodeOffset(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return 0;
        }

        var offset = Decode<OffsetToken>(token).Offset;
        return offset > 0 ? offset : throw Invalid(token);
    }

    private sealed record OffsetToken(long Offset);
}

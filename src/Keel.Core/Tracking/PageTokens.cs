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

}

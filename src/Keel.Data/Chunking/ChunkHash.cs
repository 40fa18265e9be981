using System.Buffers;
using System.Security.Cryptography;

namespace Keel.Data.Chunking;

/// <summary>The name of a chunk: the SHA-256 of its bytes in lowercase hex, as stored and as sent on the wire.</summary>
public static class ChunkHash
{
    private static readonly SearchValues<char> LowercaseHex = SearchValues.Create("0123456789abcdef");

    /// <summary>The lowercase hex SHA-256 of <paramref name="data"/> (64 characters).</summary>
    public static string Compute(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(data, digest);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>True for exactly 64 lowercase hex characters.</summary>
    public static bool IsValid(string? hash) =>
        hash is { Length: 64 } && !hash.AsSpan().ContainsAnyExcept(LowercaseHex);
}

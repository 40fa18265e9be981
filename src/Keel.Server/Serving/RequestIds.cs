using System.Buffers.Binary;

namespace Keel.Server.Serving;

/// <summary>
/// Request ids the server gives to requests that bring none: UUIDv7 (RFC 9562) as 32 lowercase hex
/// digits — 48 bits of Unix milliseconds, then 74 random bits — so ids sort by time and the
/// inference log's request index grows at its end.
/// </summary>
/// <remarks>
/// The random bits come from <see cref="Random.Shared"/> (a per-thread generator), not the
/// operating system's: a request id must be unique, not secret, and <see cref="Guid.CreateVersion7()"/>
/// asked the kernel for randomness on every request. 74 random bits a millisecond make a collision
/// among a million ids in one millisecond about one in 10^10.
/// </remarks>
public static class RequestIds
{
    /// <summary>A UUIDv7 for the given Unix time in milliseconds.</summary>
    public static string Next(long unixMilliseconds)
    {
        Span<byte> bytes = stackalloc byte[16];
        var random = Random.Shared;
        BinaryPrimitives.WriteInt64BigEndian(bytes, random.NextInt64());
        BinaryPrimitives.WriteInt64BigEndian(bytes[8..], random.NextInt64());
        var time = (ulong)unixMilliseconds & 0xFFFF_FFFF_FFFF;
        for (var i = 0; i < 6; i++)
        {
            bytes[i] = (byte)(time >> (8 * (5 - i)));
        }

        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));   // version 7
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));   // variant 10
        return Convert.ToHexStringLower(bytes);
    }
}

using System.Numerics;
using Keel.Core.Errors;

namespace Keel.Data.Chunking;

/// <summary>
/// The sizes of FastCDC's content-defined chunks: no chunk is shorter than <paramref name="MinSize"/>
/// (except the last one of a stream), none is longer than <paramref name="MaxSize"/>, and cuts are
/// tuned so that chunks are <paramref name="AverageSize"/> long on average (a little more in practice,
/// about 1.2 times, because no cut is looked for in the first <paramref name="MinSize"/> bytes).
/// </summary>
/// <remarks>
/// <para>
/// Why 256 KiB / 1 MiB / 4 MiB by default: a 1 GB file becomes about 1,000 chunks, so a version of it
/// is about 1,000 objects in the store and about 1,000 requests to upload — few enough that the
/// per-object and per-request costs vanish behind the bytes. Appending rows to a table rewrites only
/// its last chunk (plus the new bytes): about 1 MiB, 0.1 % of a 1 GB file, is stored again. The
/// minimum bounds the object count (no storm of tiny chunks on low-entropy data) and the maximum
/// bounds the memory: the chunker holds a few maximum-size chunks whatever the stream length, and a
/// chunk is uploaded and verified in one request.
/// </para>
/// <para>
/// Rules, checked when chunking starts: <c>64 &lt;= MinSize &lt; AverageSize &lt; MaxSize &lt;= 256 MiB</c>
/// and <c>AverageSize</c> a power of two. Changing any size moves chunk boundaries: content chunked with
/// other options shares no chunks with what was chunked before.
/// </para>
/// </remarks>
/// <param name="MinSize">Shortest chunk in bytes (the last chunk of a stream may be shorter).</param>
/// <param name="AverageSize">Target average chunk size in bytes, a power of two.</param>
/// <param name="MaxSize">Longest chunk in bytes: a chunk is cut here when its content offered no cut.</param>
public sealed record ChunkingOptions(int MinSize = 256 * 1024, int AverageSize = 1024 * 1024, int MaxSize = 4 * 1024 * 1024)
{
    /// <summary>Largest accepted <see cref="MaxSize"/>: chunks are held whole in memory.</summary>
    internal const int MaxMaxSize = 256 * 1024 * 1024;

    /// <summary>256 KiB minimum, 1 MiB average, 4 MiB maximum: the sizes every Keel dataset uses.</summary>
    public static ChunkingOptions Default { get; } = new();

    /// <summary>Throws <see cref="KeelException"/> naming the field and the rule it breaks.</summary>
    internal void Validate()
    {
        // The gear hash looks at the last 64 bytes before a cut; a minimum of at least 64 keeps that
        // window inside the chunk, so a cut never depends on the bytes of the previous chunk.
        if (MinSize < 64)
        {
            throw KeelException.Invalid($"'MinSize' is {MinSize}; it must be at least 64 bytes.");
        }

        if (AverageSize <= MinSize)
        {
            throw KeelException.Invalid($"'AverageSize' is {AverageSize}; it must be larger than 'MinSize' ({MinSize}).");
        }

        if (!BitOperations.IsPow2(AverageSize))
        {
            throw KeelException.Invalid($"'AverageSize' is {AverageSize}; it must be a power of two (the cut masks are bit counts).");
        }

        if (MaxSize <= AverageSize)
        {
            throw KeelException.Invalid($"'MaxSize' is {MaxSize}; it must be larger than 'AverageSize' ({AverageSize}).");
        }

        if (MaxSize > MaxMaxSize)
        {
            throw KeelException.Invalid($"'MaxSize' is {MaxSize}; it must be at most {MaxMaxSize} bytes (256 MiB).");
        }
    }
}

namespace Keel.Data.Versioning;

/// <summary>A chunk's hash and bytes, as an add hands them to the store.</summary>
public readonly record struct ChunkBytes(string Hash, ReadOnlyMemory<byte> Bytes);

/// <summary>
/// A read-only stream over pieces of memory the caller owns, one after the other (no copy:
/// <see cref="CopyToAsync(Stream, int, CancellationToken)"/> writes each piece straight to the destination).
/// </summary>
internal sealed class SegmentStream(IReadOnlyList<ReadOnlyMemory<byte>> segments) : Stream
{
    private int _segment;
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => segments.Sum(s => (long)s.Length);

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var total = 0;
        while (buffer.Length > 0 && _segment < segments.Count)
        {
            var rest = segments[_segment].Span[_position..];
            var n = Math.Min(buffer.Length, rest.Length);
            rest[..n].CopyTo(buffer);
            buffer = buffer[n..];
            total += n;
            _position += n;
            if (_position == segments[_segment].Length)
            {
                (_segment, _position) = (_segment + 1, 0);
            }
        }

        return total;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override async Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
    {
        for (; _segment < segments.Count; (_segment, _position) = (_segment + 1, 0))
        {
            await destination.WriteAsync(segments[_segment][_position..], cancellationToken);
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

using Keel.Core.Datasets;

namespace Keel.Data.Versioning;

/// <summary>
/// One file of a stored version read straight from its chunks, as a read-only seekable stream:
/// profiles and validation read tabular files this way without materialising them. A chunk is
/// opened when the position enters it; a chunk missing from the store is a not-found error naming it.
/// </summary>
internal sealed class ChunkedFileStream(DatasetService service, ManifestFile file) : Stream
{
    private readonly long[] _starts = Starts(file.Chunks);
    private Stream? _current;
    private int _currentIndex = -1;
    private long _currentOffset;
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => file.Size;

    public override long Position
    {
        get => _position;
        set => _position = value is >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var total = 0;
        while (buffer.Length > 0 && _position < file.Size)
        {
            var index = ChunkAt(_position);
            var offset = _position - _starts[index];
            // A stream that cannot seek is reopened to go back, or skipped forward by reading.
            if (_currentIndex != index || (!_current!.CanSeek && _currentOffset != offset))
            {
                if (_current is not null)
                {
                    await _current.DisposeAsync();
                }

                _current = await service.OpenChunkAsync(file.Chunks[index].Hash, cancellationToken);
                _currentIndex = index;
                await SkipAsync(_current, offset, cancellationToken);
            }
            else if (_current.CanSeek && _current.Position != offset)
            {
                _current.Position = offset;
            }

            var want = (int)Math.Min(buffer.Length, file.Chunks[index].Size - offset);
            var read = await _current!.ReadAsync(buffer[..want], cancellationToken);
            if (read == 0)
            {
                throw new IOException($"Chunk {file.Chunks[index].Hash} of '{file.Path}' ends before its recorded size.");
            }

            _position += read;
            _currentOffset = offset + read;
            total += read;
            buffer = buffer[read..];
        }

        return total;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => file.Size + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _current?.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_current is not null)
        {
            await _current.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    private int ChunkAt(long position)
    {
        var index = Array.BinarySearch(_starts, position);
        return index >= 0 ? index : ~index - 1;
    }

    /// <summary>Moves <paramref name="stream"/> <paramref name="offset"/> bytes on, seeking when it can; an <see cref="IOException"/> when it ends first.</summary>
    internal static async Task SkipAsync(Stream stream, long offset, CancellationToken cancellationToken)
    {
        if (offset == 0)
        {
            return;
        }

        if (stream.CanSeek)
        {
            stream.Seek(offset, SeekOrigin.Current);
            return;
        }

        var buffer = new byte[Math.Min(offset, 81920)];
        while (offset > 0)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, offset)), cancellationToken);
            if (read == 0)
            {
                throw new IOException("A chunk ends before the position asked for.");
            }

            offset -= read;
        }
    }

    private static long[] Starts(IReadOnlyList<ChunkInfo> chunks)
    {
        var starts = new long[chunks.Count];
        long start = 0;
        for (var i = 0; i < chunks.Count; i++)
        {
            starts[i] = start;
            start += chunks[i].Size;
        }

        return starts;
    }
}

using System.Buffers;

namespace Keel.Tabular.Chunks.Internal;

/// <summary>
/// A sliding window over a file's bytes for the text readers: parsers consume complete records
/// from <see cref="Span"/> and <see cref="FillAsync"/> moves the unconsumed tail (less than one
/// record) to the front and reads more behind it. The buffer is pooled and grows only for a record
/// longer than itself, so memory does not depend on the file's size.
/// </summary>
internal sealed class ByteWindow : IDisposable
{
    private const int InitialSize = 1 << 20;

    private readonly Stream _stream;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialSize);
    private long _bufferOffset;
    private int _end;

    public ByteWindow(Stream stream)
    {
        _stream = stream;
        Length = _stream.Length;
    }

    public long Length { get; }

    /// <summary>Index in <see cref="Buffer"/> of the first byte not consumed yet.</summary>
    public int Start { get; private set; }

    /// <summary>Whether the file has no bytes beyond <see cref="Span"/>.</summary>
    public bool Eof { get; private set; }

    public byte[] Buffer => _buffer;

    /// <summary>The bytes read and not consumed yet.</summary>
    public ReadOnlySpan<byte> Span => _buffer.AsSpan(Start, _end - Start);

    /// <summary>The file offset of <see cref="Start"/>: how far parsing has got.</summary>
    public long Position => _bufferOffset + Start;

    public double Progress => Length == 0 ? 1 : (double)Position / Length;

    public bool IsEmpty => Start == _end;

    public void Consume(int count) => Start += count;

    /// <summary>Reads more bytes behind the unconsumed ones; sets <see cref="Eof"/> at the end of the file.</summary>
    public async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (Start > 0)
        {
            _buffer.AsSpan(Start, _end - Start).CopyTo(_buffer);
            _bufferOffset += Start;
            _end -= Start;
            Start = 0;
        }

        if (_end == _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            _buffer.AsSpan(0, _end).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        if (read == 0)
        {
            Eof = true;
        }

        _end += read;
    }

    /// <summary>Goes back to a file offset seen before (the first data row).</summary>
    public void Seek(long offset)
    {
        _stream.Position = offset;
        _bufferOffset = offset;
        Start = 0;
        _end = 0;
        Eof = false;
    }

    public void Dispose()
    {
        _stream.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}

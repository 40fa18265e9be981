using System.Buffers;
using System.Buffers.Binary;

namespace Keel.Serving.Batch.Internal;

/// <summary>
/// The few operations on a Parquet footer (Thrift compact protocol, parquet.thrift field numbers)
/// that let <see cref="ParquetChunkWriter"/> keep its memory flat: take the one row group of the
/// footer Parquet.Net wrote for a chunk as a file of its own, with its offsets moved to where the
/// chunk's pages are in the output, and assemble the output's footer from one such footer's
/// metadata, the total row count, and every row group's bytes, which wait in a spill file
/// instead of in memory.
/// </summary>
internal static class ParquetFooter
{
    public static ReadOnlySpan<byte> Magic => "PAR1"u8;

    // Thrift compact types.
    private const int BooleanTrue = 1;
    private const int BooleanFalse = 2;
    private const int Byte = 3;
    private const int I16 = 4;
    private const int I32 = 5;
    private const int I64 = 6;
    private const int Double = 7;
    private const int Binary = 8;
    private const int List = 9;
    private const int Set = 10;
    private const int Map = 11;
    private const int Struct = 12;
    private const int Uuid = 13;

    // FileMetaData fields.
    private const short NumRows = 3;
    private const short RowGroups = 4;

    private enum Shape
    {
        RowGroup,
        ColumnChunk,
        ColumnMetaData,
    }

    /// <summary>The footer (FileMetaData) at the start of <paramref name="trailer"/>: what a Parquet file ends with (footer, its length, PAR1).</summary>
    public static ReadOnlyMemory<byte> Footer(ReadOnlyMemory<byte> trailer)
    {
        var span = trailer.Span;
        if (span.Length < 9 || !span[^4..].SequenceEqual(Magic))
        {
            throw new InvalidDataException("A Parquet part does not end with PAR1.");
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(span[^8..^4]);
        if (length != span.Length - 8)
        {
            throw new InvalidDataException($"A Parquet part's footer is {span.Length - 8} bytes, but its length says {length}.");
        }

        return trailer[..length];
    }

    /// <summary>
    /// Writes the row groups of <paramref name="footer"/> (a FileMetaData) to <paramref name="output"/>
    /// with every file offset moved by <paramref name="shift"/> bytes; returns how many there were.
    /// </summary>
    public static int CopyRowGroups(ReadOnlySpan<byte> footer, long shift, IBufferWriter<byte> output)
    {
        var reader = new Reader(footer);
        short last = 0;
        var count = 0;
        while (reader.Field(ref last) is { Type: not 0 } field)
        {
            if (field.Id != RowGroups || field.Type != List)
            {
                reader.Skip(field.Type);
                continue;
            }

            var (size, element) = reader.ListHeader();
            var writer = new Writer(output);
            for (var i = 0; i < size; i++)
            {
                Copy(ref reader, ref writer, element, Shape.RowGroup, shift);
            }

            count += size;
        }

        return count;
    }

    /// <summary>
    /// Ends a Parquet file: a FileMetaData that is <paramref name="template"/> with its row count
    /// and its row groups replaced (<paramref name="rowGroupCount"/> of them, whose bytes
    /// <paramref name="rowGroups"/> holds from its start), then its length and PAR1.
    /// </summary>
    public static async Task WriteAsync(ReadOnlyMemory<byte> template, long rows, int rowGroupCount, Stream rowGroups, Stream output, CancellationToken ct)
    {
        var head = new ArrayBufferWriter<byte>(template.Length + 16);
        var tail = new ArrayBufferWriter<byte>(template.Length + 8);
        FileMetaData(template.Span, rows, rowGroupCount, head, tail);
        var length = checked((int)(head.WrittenCount + rowGroups.Length + tail.WrittenCount));
        BinaryPrimitives.WriteInt32LittleEndian(tail.GetSpan(4), length);
        tail.Advance(4);
        tail.Write(Magic);
        await output.WriteAsync(head.WrittenMemory, ct);
        rowGroups.Position = 0;
        await rowGroups.CopyToAsync(output, ct);
        await output.WriteAsync(tail.WrittenMemory, ct);
    }

    /// <summary>The template's fields up to the row groups' elements in <paramref name="head"/>, the rest in <paramref name="tail"/>.</summary>
    private static void FileMetaData(ReadOnlySpan<byte> template, long rows, int rowGroupCount, IBufferWriter<byte> head, IBufferWriter<byte> tail)
    {
        var reader = new Reader(template);
        var writer = new Writer(head);
        short last = 0, written = 0;
        var rowGroupsWritten = false;
        while (reader.Field(ref last) is { Type: not 0 } field)
        {
            if (field.Id == RowGroups && field.Type == List)
            {
                reader.Skip(List);
                writer.Field(field.Id, List, ref written);
                writer.ListHeader(rowGroupCount, Struct);
                writer = new Writer(tail);
                rowGroupsWritten = true;
                continue;
            }

            writer.Field(field.Id, field.Type, ref written);
            if (field.Id == NumRows && field.Type == I64)
            {
                reader.Skip(I64);
                writer.ZigZag(rows);
                continue;
            }

            writer.Raw(reader.Value(field.Type));
        }

        if (!rowGroupsWritten)
        {
            throw new InvalidDataException("A Parquet part's footer has no row groups.");
        }

        writer.Raw([0]);
    }

    /// <summary>Copies one struct, moving the file offsets it and its children hold.</summary>
    private static void Copy(ref Reader reader, ref Writer writer, int type, Shape shape, long shift)
    {
        if (type != Struct)
        {
            throw new InvalidDataException($"A Parquet footer has a value of Thrift type {type} where a struct belongs.");
        }

        short last = 0, written = 0;
        while (reader.Field(ref last) is { Type: not 0 } field)
        {
            // RowGroup.ordinal is the group's place in the file; every part says 0, and it is optional.
            if (shape == Shape.RowGroup && field.Id == 7)
            {
                reader.Skip(field.Type);
                continue;
            }

            writer.Field(field.Id, field.Type, ref written);
            if (field.Type == I64 && IsOffset(shape, field.Id))
            {
                writer.ZigZag(reader.ZigZag() + shift);
            }
            else if (shape == Shape.ColumnChunk && field.Id == 3)
            {
                // ColumnChunk.meta_data.
                Copy(ref reader, ref writer, field.Type, Shape.ColumnMetaData, shift);
            }
            else if (shape == Shape.RowGroup && field.Id == 1 && field.Type == List)
            {
                // RowGroup.columns.
                var (size, element) = reader.ListHeader();
                writer.ListHeader(size, element);
                for (var i = 0; i < size; i++)
                {
                    Copy(ref reader, ref writer, element, Shape.ColumnChunk, shift);
                }
            }
            else
            {
                writer.Raw(reader.Value(field.Type));
            }
        }

        writer.Raw([0]);
    }

    // RowGroup.file_offset; ColumnChunk.file_offset, offset_index_offset, column_index_offset;
    // ColumnMetaData.data_page_offset, index_page_offset, dictionary_page_offset, bloom_filter_offset.
    private static bool IsOffset(Shape shape, short id) => shape switch
    {
        Shape.RowGroup => id == 5,
        Shape.ColumnChunk => id is 2 or 4 or 6,
        Shape.ColumnMetaData => id is 9 or 10 or 11 or 14,
        _ => false,
    };

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        /// <summary>The next field's id and type; type 0 at the struct's end.</summary>
        public (short Id, int Type) Field(ref short last)
        {
            var header = Next();
            if (header == 0)
            {
                return (0, 0);
            }

            var delta = header >> 4;
            last = delta == 0 ? checked((short)ZigZag()) : checked((short)(last + delta));
            return (last, header & 0x0F);
        }

        public (int Size, int Element) ListHeader()
        {
            var header = Next();
            var size = header >> 4;
            return (size == 15 ? checked((int)Varint()) : size, header & 0x0F);
        }

        public long ZigZag()
        {
            var value = Varint();
            return (long)(value >> 1) ^ -(long)(value & 1);
        }

        /// <summary>The bytes of a field's value of <paramref name="type"/>, read past.</summary>
        public ReadOnlySpan<byte> Value(int type)
        {
            var start = _position;
            Skip(type);
            return _data[start.._position];
        }

        public void Skip(int type, bool element = false)
        {
            switch (type)
            {
                case BooleanTrue or BooleanFalse:
                    // A field's boolean is in its header; a list's takes a byte.
                    _position += element ? 1 : 0;
                    break;
                case Byte:
                    _position++;
                    break;
                case I16 or I32 or I64:
                    Varint();
                    break;
                case Double:
                    _position += 8;
                    break;
                case Uuid:
                    _position += 16;
                    break;
                case Binary:
                    // The length is read first: `_position += Varint()` would add it to the position before the varint.
                    var length = checked((int)Varint());
                    _position += length;
                    break;
                case List or Set:
                    var (size, element1) = ListHeader();
                    for (var i = 0; i < size; i++)
                    {
                        Skip(element1, element: true);
                    }

                    break;
                case Map:
                    var pairs = checked((int)Varint());
                    if (pairs > 0)
                    {
                        var kinds = Next();
                        for (var i = 0; i < pairs; i++)
                        {
                            Skip(kinds >> 4, element: true);
                            Skip(kinds & 0x0F, element: true);
                        }
                    }

                    break;
                case Struct:
                    short last = 0;
                    while (Field(ref last) is { Type: not 0 } field)
                    {
                        Skip(field.Type);
                    }

                    break;
                default:
                    throw new InvalidDataException($"A Parquet footer has an unknown Thrift type {type}.");
            }

            if (_position > _data.Length)
            {
                throw new InvalidDataException("A Parquet footer ends inside a value.");
            }
        }

        private byte Next() => _position < _data.Length ? _data[_position++] : throw new InvalidDataException("A Parquet footer ends inside a value.");

        private ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Next();
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new InvalidDataException("A Parquet footer has a varint longer than 64 bits.");
        }
    }

    private readonly ref struct Writer(IBufferWriter<byte> output)
    {
        private readonly IBufferWriter<byte> _output = output;

        /// <summary>A field header, short form when the id follows the last one within 15.</summary>
        public void Field(short id, int type, ref short last)
        {
            var delta = id - last;
            if (delta is > 0 and <= 15)
            {
                Raw([(byte)((delta << 4) | type)]);
            }
            else
            {
                Raw([(byte)type]);
                ZigZag(id);
            }

            last = id;
        }

        public void ListHeader(int size, int element)
        {
            if (size < 15)
            {
                Raw([(byte)((size << 4) | element)]);
            }
            else
            {
                Raw([(byte)(0xF0 | element)]);
                Varint((ulong)size);
            }
        }

        public void ZigZag(long value) => Varint((ulong)((value << 1) ^ (value >> 63)));

        public void Raw(ReadOnlySpan<byte> bytes) => _output.Write(bytes);

        private void Varint(ulong value)
        {
            Span<byte> buffer = stackalloc byte[10];
            var n = 0;
            while (value >= 0x80)
            {
                buffer[n++] = (byte)(value | 0x80);
                value >>= 7;
            }

            buffer[n++] = (byte)value;
            Raw(buffer[..n]);
        }
    }
}

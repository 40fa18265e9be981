using System.Globalization;
using Keel.Core.Errors;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Keel.Serving.Predictors;

// ML.NET output columns → PredictionTensor: Single/Double/Int32/Int64/Boolean keep their type,
// smaller integers widen to int32, unsigned ones to int64, text and dates become strings. A key
// column (an unmapped PredictedLabel) becomes its key value's text when the model knows the values,
// else the key number. Fixed-size vectors (Score) become [N, k] with their slot names.
internal sealed partial class MlNetPredictor
{
    private PredictionResult ReadOutputs(IDataView output, int rows)
    {
        var columns = _outputNames.Select(name => output.Schema[name]).ToArray();
        try
        {
            using var cursor = output.GetRowCursor(columns);
            var readers = columns.Select(column => OutputReader.Create(cursor, column, rows)).ToArray();
            var row = 0;
            while (cursor.MoveNext())
            {
                foreach (var reader in readers)
                {
                    reader.Read(row);
                }

                row++;
            }

            return new PredictionResult(readers.Select(reader => reader.Finish(row)));
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new KeelException(ErrorCode.BAD_REQUEST, $"ML.NET failed to run the model: {ex.Message}");
        }
    }

    private abstract class OutputReader
    {
        // ML.NET's annotation kind for the values behind a key type.
        private const string KeyValuesKind = "KeyValues";

        public abstract void Read(int row);

        public abstract PredictionTensor Finish(int rows);

        public static OutputReader Create(DataViewRowCursor cursor, DataViewSchema.Column column, int rows)
        {
            var (item, width) = column.Type is VectorDataViewType vector ? (vector.ItemType, vector.Size) : (column.Type, 0);
            var slots = width > 0 ? SlotNames(column) : null;
            if (item is KeyDataViewType && width == 0 && KeyValueReader(cursor, column, rows) is { } keyReader)
            {
                return keyReader;
            }

            var raw = item.RawType;
            return raw switch
            {
                _ when raw == typeof(float) => Make<float, float>(cursor, column, v => v, width, rows, slots),
                _ when raw == typeof(double) => Make<double, double>(cursor, column, v => v, width, rows, slots),
                _ when raw == typeof(int) => Make<int, int>(cursor, column, v => v, width, rows, slots),
                _ when raw == typeof(long) => Make<long, long>(cursor, column, v => v, width, rows, slots),
                _ when raw == typeof(short) => Make<short, int>(cursor, column, v => v, width, rows, slots),
                _ when raw == typeof(ushort) => Make<ushort, int>(cursor, column, v => v, width, rows, slots),
                _ when raw == typeof(sbyte) => Make<sbyte, int>(cursor, column, v => v, width, rows, slots),
                _ when raw == typeof(byte) => Make<byte, int>(cursor, column, v => v, width, rows, slots),
                _ when raw == typeof(uint) => Make<uint, long>(cursor, column, v => v, width, rows, slots),
                _ when raw == typeof(ulong) => Make<ulong, long>(cursor, column, v => unchecked((long)v), width, rows, slots),
                _ when raw == typeof(bool) => Make<bool, bool>(cursor, column, v => v, width, rows, slots),
                _ when raw == typeof(ReadOnlyMemory<char>) => Make<ReadOnlyMemory<char>, string?>(cursor, column, v => v.ToString(), width, rows, slots),
                _ when raw == typeof(DateTime) => Make<DateTime, string?>(cursor, column, v => v.ToString("O", CultureInfo.InvariantCulture), width, rows, slots),
                _ => throw new KeelException(ErrorCode.BAD_REQUEST, $"ML.NET output column '{column.Name}' has type {column.Type}, which Keel does not read."),
            };
        }

        private static OutputReader Make<TIn, TOut>(
            DataViewRowCursor cursor, DataViewSchema.Column column, Func<TIn, TOut> convert, int width, int rows, IReadOnlyList<string>? slots) =>
            width == 0
                ? new ScalarReader<TIn, TOut>(cursor.GetGetter<TIn>(column), convert, column.Name, rows)
                : new VectorReader<TIn, TOut>(cursor.GetGetter<VBuffer<TIn>>(column), convert, column.Name, width, rows, slots);

        private static List<string>? SlotNames(DataViewSchema.Column column)
        {
            if (!column.HasSlotNames())
            {
                return null;
            }

            VBuffer<ReadOnlyMemory<char>> names = default;
            column.GetSlotNames(ref names);
            return [.. names.DenseValues().Select(n => n.ToString())];
        }

        /// <summary>
        /// A key column (uint, 1-based, 0 = missing) read as the values it stands for, in their own
        /// type: MapValueToKey over int64 labels keeps int64 key values, over strings text ones.
        /// </summary>
        private static OutputReader? KeyValueReader(DataViewRowCursor cursor, DataViewSchema.Column column, int rows)
        {
            if (column.Type.RawType != typeof(uint)
                || column.Annotations.Schema.GetColumnOrNull(KeyValuesKind) is not { Type: VectorDataViewType values })
            {
                return null;
            }

            var raw = values.ItemType.RawType;
            return raw switch
            {
                _ when raw == typeof(ReadOnlyMemory<char>) => Mapped<ReadOnlyMemory<char>, string?>(v => v.ToString(), null),
                _ when raw == typeof(long) => Mapped<long, long>(v => v, 0),
                _ when raw == typeof(int) => Mapped<int, int>(v => v, 0),
                _ when raw == typeof(uint) => Mapped<uint, long>(v => v, 0),
                _ when raw == typeof(float) => Mapped<float, float>(v => v, float.NaN),
                _ when raw == typeof(double) => Mapped<double, double>(v => v, double.NaN),
                _ when raw == typeof(bool) => Mapped<bool, bool>(v => v, false),
                _ => null,
            };

            OutputReader Mapped<TValue, TOut>(Func<TValue, TOut> convert, TOut missing)
            {
                VBuffer<TValue> buffer = default;
                column.Annotations.GetValue(KeyValuesKind, ref buffer);
                var table = buffer.DenseValues().Select(convert).ToArray();
                return Make<uint, TOut>(cursor, column, k => k == 0 || k > table.Length ? missing : table[k - 1], 0, rows, null);
            }
        }
    }

    private sealed class ScalarReader<TIn, TOut>(ValueGetter<TIn> getter, Func<TIn, TOut> convert, string name, int capacity) : OutputReader
    {
        private TOut[] _values = new TOut[capacity];

        public override void Read(int row)
        {
            TIn value = default!;
            getter(ref value);
            if (row >= _values.Length)
            {
                Array.Resize(ref _values, Math.Max(row + 1, _values.Length * 2));
            }

            _values[row] = convert(value);
        }

        public override PredictionTensor Finish(int rows) =>
            new(name, rows == _values.Length ? _values : _values[..rows], [rows]);
    }

    private sealed class VectorReader<TIn, TOut>(
        ValueGetter<VBuffer<TIn>> getter, Func<TIn, TOut> convert, string name, int width, int capacity, IReadOnlyList<string>? slots) : OutputReader
    {
        private TOut[] _values = new TOut[capacity * width];
        private VBuffer<TIn> _buffer;

        public override void Read(int row)
        {
            getter(ref _buffer);
            if ((row + 1) * width > _values.Length)
            {
                Array.Resize(ref _values, Math.Max((row + 1) * width, _values.Length * 2));
            }

            var i = row * width;
            foreach (var value in _buffer.DenseValues())
            {
                _values[i++] = convert(value);
            }
        }

        public override PredictionTensor Finish(int rows) =>
            new(name, rows * width == _values.Length ? _values : _values[..(rows * width)], [rows, width], slots);
    }
}

using System.Globalization;
using Keel.Serving.Predictors;
using Keel.Tabular;
using Keel.Tabular.Chunks.Internal;

namespace Keel.Serving.Batch.Internal;

/// <summary>
/// A chunk's predictions as output columns, filled one predicted slice of rows at a time. A model
/// with several outputs gets a column per output, named after it, as MLflow's scoring server names
/// them in its records; a single output is the column <c>prediction</c>. An output with k values
/// per row (class probabilities) becomes k columns <c>name_slot</c>, the slot being the class name
/// when the model has one (ZipMap keys, ML.NET slot names), else its index — as
/// <see cref="PredictionResult.ToTable"/> splits them.
/// </summary>
internal sealed class PredictionColumns(int rows, ChunkArrays arrays)
{
    public const string SingleOutputName = "prediction";

    private readonly List<Slot> _slots = [];

    /// <summary>Copies the predictions of rows <paramref name="offset"/>.. into the columns (made by the first call).</summary>
    public void Add(PredictionResult part, int offset)
    {
        if (_slots.Count == 0)
        {
            var single = part.Outputs.Count == 1;
            foreach (var output in part.Outputs)
            {
                var name = single ? SingleOutputName : output.Name;
                for (var slot = 0; slot < output.RowWidth; slot++)
                {
                    var columnName = output.RowWidth == 1 ? name : $"{name}_{output.SlotNames?[slot] ?? slot.ToString(CultureInfo.InvariantCulture)}";
                    _slots.Add(new Slot(output.Name, slot, columnName, Allocate(output.Data)));
                }
            }
        }

        foreach (var slot in _slots)
        {
            var output = part[slot.Output];
            Copy(output.Data, output.RowWidth, slot.Index, part.RowCount, slot.Values, offset);
        }
    }

    public List<Column> Build() => [.. _slots.Select(s => s.Values switch
    {
        float[] f => (Column)new FloatColumn(s.Name, f),
        double[] d => new DoubleColumn(s.Name, d),
        long[] l => new Int64Column(s.Name, l),
        int[] i => new Int32Column(s.Name, i),
        bool[] b => new BooleanColumn(s.Name, b),
        string?[] t => new StringColumn(s.Name, t),
        _ => throw new InvalidOperationException($"Output '{s.Output}' has an unknown element type."),
    })];

    private Array Allocate(Array data) => data switch
    {
        float[] => Rent<float>(),
        double[] => Rent<double>(),
        long[] => Rent<long>(),
        int[] => Rent<int>(),
        bool[] => Rent<bool>(),
        string?[] => Rent<string?>(),
        _ => throw new InvalidOperationException($"An output holds {data.GetType().Name}, which a column cannot."),
    };

    private T[] Rent<T>() => rows == arrays.Length ? arrays.Rent<T>() : new T[rows];

    /// <summary>One slot of every row of a row-major output, into a column from <paramref name="offset"/>.</summary>
    private static void Copy(Array source, int width, int slot, int count, Array target, int offset)
    {
        if (width == 1)
        {
            Array.Copy(source, 0, target, offset, count);
            return;
        }

        switch (source)
        {
            case float[] f:
                Stride(f, width, slot, count, (float[])target, offset);
                break;
            case double[] d:
                Stride(d, width, slot, count, (double[])target, offset);
                break;
            case long[] l:
                Stride(l, width, slot, count, (long[])target, offset);
                break;
            case int[] i:
                Stride(i, width, slot, count, (int[])target, offset);
                break;
            case bool[] b:
                Stride(b, width, slot, count, (bool[])target, offset);
                break;
            case string?[] s:
                Stride(s, width, slot, count, (string?[])target, offset);
                break;
        }
    }

    private static void Stride<T>(T[] source, int width, int slot, int count, T[] target, int offset)
    {
        for (int row = 0, index = slot; row < count; row++, index += width)
        {
            target[offset + row] = source[index];
        }
    }

    private sealed record Slot(string Output, int Index, string Name, Array Values);
}

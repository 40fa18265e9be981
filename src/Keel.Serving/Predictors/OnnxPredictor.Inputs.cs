using System.Globalization;
using Keel.Core.Errors;
using Keel.Tabular;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Keel.Serving.Predictors;

// Table → graph inputs. A graph with ONE input of shape [N,k] takes k columns stacked side by side:
// in the order of the signature's column names when the table has them all (a model logged by
// MLflow with a column-based signature), else in the table's order, which must then have exactly k
// columns. A graph with SEVERAL inputs takes each from the table column of the same name, one value
// per row ([N] or [N,1]); extra table columns are ignored, as MLflow's ONNX pyfunc ignores them.
// Values are converted to the input's element type; a string column fed to a numeric input, a
// missing integer or a fractional value for an integer input is an error naming the column.
internal sealed partial class OnnxPredictor
{
    /// <summary>One value per graph input, in the order of <see cref="_inputNames"/>.</summary>
    private OrtValue[] BindInputs(Table table)
    {
        var feeds = new OrtValue[_inputs.Length];
        try
        {
            if (_inputs.Length == 1)
            {
                var input = _inputs[0];
                feeds[0] = CreateTensor(input, StackedColumns(input, table), table.RowCount);
            }
            else
            {
                for (var i = 0; i < _inputs.Length; i++)
                {
                    var input = _inputs[i];
                    if (Width(input) is not (1 or -1))
                    {
                        throw KeelException.Invalid(
                            $"ONNX input '{input.Name}' has shape {input.ShapeText}; with several graph inputs each must take one value per row ([N] or [N,1]).");
                    }

                    var column = table.TryGetColumn(input.Name, out var found) ? found : throw KeelException.Invalid(
                        $"The model's ONNX input '{input.Name}' has no column of that name in the input; the columns are: {string.Join(", ", table.ColumnNames)}.");
                    feeds[i] = CreateTensor(input, [column], table.RowCount);
                }
            }

            return feeds;
        }
        catch
        {
            foreach (var value in feeds)
            {
                value?.Dispose();
            }

            throw;
        }
    }

    /// <summary>Values per row the input takes: 1 for [N], k for [N,k], -1 when k is dynamic.</summary>
    private static int Width(OnnxInput input) => input.Dimensions.Length switch
    {
        1 => 1,
        2 => input.Dimensions[1],
        _ => throw KeelException.Invalid(
            $"ONNX input '{input.Name}' has shape {input.ShapeText}; a table can feed only [N] and [N,k] inputs."),
    };

    private IReadOnlyList<Column> StackedColumns(OnnxInput input, Table table)
    {
        var width = Width(input);
        if (width == 1 && table.TryGetColumn(input.Name, out var own))
        {
            return [own];
        }

        if (Signature.Inputs is { IsTensorBased: false, HasNames: true } schema
            && (width < 0 || schema.Names.Count == width))
        {
            var names = schema.Names;
            if (InOrder(table, names))
            {
                // The request's columns are the signature's, in its order (what the parsers make).
                return table.Columns;
            }

            if (ByName(table, names) is { } named)
            {
                return named;
            }
        }

        if (width >= 0 && table.ColumnCount != width)
        {
            throw KeelException.Invalid(
                $"ONNX input '{input.Name}' takes {width} column{(width == 1 ? "" : "s")} (shape {input.ShapeText}) but the input has {table.ColumnCount}: {string.Join(", ", table.ColumnNames)}. Pass exactly the model's feature columns, without the target.");
        }

        return table.Columns;
    }

    /// <summary>The table's columns of these names, in this order; null when one is missing.</summary>
    private static Column[]? ByName(Table table, IReadOnlyList<string> names)
    {
        var columns = new Column[names.Count];
        for (var i = 0; i < columns.Length; i++)
        {
            if (!table.TryGetColumn(names[i], out var column))
            {
                return null;
            }

            columns[i] = column;
        }

        return columns;
    }

    private static bool InOrder(Table table, IReadOnlyList<string> names)
    {
        if (table.ColumnCount != names.Count)
        {
            return false;
        }

        for (var i = 0; i < names.Count; i++)
        {
            if (!string.Equals(table[i].Name, names[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static OrtValue CreateTensor(OnnxInput input, IReadOnlyList<Column> columns, int rows)
    {
        if (input.Dimensions[0] > 0 && input.Dimensions[0] != rows)
        {
            throw KeelException.Invalid(
                $"ONNX input '{input.Name}' has a fixed batch size of {input.Dimensions[0]} (shape {input.ShapeText}) but the input has {rows} rows; export the model with a dynamic batch dimension.");
        }

        var width = columns.Count;
        long[] shape = input.Dimensions.Length == 1 ? [rows] : [rows, width];
        if (input.ElementType != TensorElementType.String)
        {
            foreach (var column in columns)
            {
                if (column.Type != ColumnType.String)
                {
                    continue;
                }

                throw KeelException.Invalid(
                    $"Column '{column.Name}' holds strings but ONNX input '{input.Name}' takes {input.Dtype} values; every column fed to it must be numeric.");
            }
        }

        switch (input.ElementType)
        {
            case TensorElementType.Float:
                return OrtValue.CreateTensorValueFromMemory(Fill(columns, rows, (c, r) => (float)c.GetDouble(r)), shape);
            case TensorElementType.Double:
                return OrtValue.CreateTensorValueFromMemory(Fill(columns, rows, (c, r) => c.GetDouble(r)), shape);
            case TensorElementType.Int64:
                return OrtValue.CreateTensorValueFromMemory(Fill(columns, rows, (c, r) => Integer(c, r, input, long.MinValue, long.MaxValue)), shape);
            case TensorElementType.Int32:
                return OrtValue.CreateTensorValueFromMemory(Fill(columns, rows, (c, r) => (int)Integer(c, r, input, int.MinValue, int.MaxValue)), shape);
            case TensorElementType.Bool:
                return OrtValue.CreateTensorValueFromMemory(Fill(columns, rows, (c, r) => Boolean(c, r, input)), shape);
            case TensorElementType.String:
                var strings = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, shape);
                for (var r = 0; r < rows; r++)
                {
                    for (var c = 0; c < width; c++)
                    {
                        // ONNX string tensors have no null; a missing string is the empty string.
                        strings.StringTensorSetElementAt((columns[c].GetString(r) ?? "").AsSpan(), (r * width) + c);
                    }
                }

                return strings;
            default:
                throw KeelException.Invalid(
                    $"ONNX input '{input.Name}' takes {input.Dtype} values, which Keel does not make from a table; it feeds float32, float64, int64, int32, bool and string inputs.");
        }
    }

    private static T[] Fill<T>(IReadOnlyList<Column> columns, int rows, Func<Column, int, T> value)
    {
        var width = columns.Count;
        var data = new T[rows * width];
        for (var c = 0; c < width; c++)
        {
            var column = columns[c];
            for (var r = 0; r < rows; r++)
            {
                data[(r * width) + c] = value(column, r);
            }
        }

        return data;
    }

    private static long Integer(Column column, int row, OnnxInput input, long min, long max)
    {
        if (column.IsMissing(row))
        {
            throw KeelException.Invalid(
                $"Column '{column.Name}' has a missing value in row {row}; ONNX input '{input.Name}' takes {input.Dtype} values, which cannot be missing.");
        }

        var value = column switch
        {
            Int64Column longs => longs.Values[row],
            Int32Column ints => ints.Values[row],
            _ => column.GetDouble(row) is var number && number == Math.Floor(number) && number >= min && number <= max
                ? (long)number
                : throw KeelException.Invalid(
                    $"Column '{column.Name}' holds {column.GetString(row)} in row {row}; ONNX input '{input.Name}' takes {input.Dtype} values, so it must be a whole number."),
        };

        return value >= min && value <= max
            ? value
            : throw KeelException.Invalid(
                $"Column '{column.Name}' holds {value.ToString(CultureInfo.InvariantCulture)} in row {row}, outside the range of ONNX input '{input.Name}' ({input.Dtype}).");
    }

    private static bool Boolean(Column column, int row, OnnxInput input)
    {
        if (column.IsMissing(row))
        {
            throw KeelException.Invalid(
                $"Column '{column.Name}' has a missing value in row {row}; ONNX input '{input.Name}' takes bool values, which cannot be missing.");
        }

        return column is BooleanColumn booleans ? booleans.Values[row] : column.GetDouble(row) != 0;
    }
}

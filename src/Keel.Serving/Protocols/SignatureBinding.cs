using System.Globalization;
using Keel.Core.Errors;
using Keel.Serving.Models;
using Keel.Tabular;

namespace Keel.Serving.Protocols;

/// <summary>
/// Request columns → the <see cref="Table"/> a predictor takes, typed and checked against the
/// signature's inputs. Column specs: one column per spec, by name (or by position when unnamed),
/// none missing unless optional, none extra. One tensor input of shape [-1, k]: k columns, stacked by
/// the ONNX predictor in order (a single column of k-value lists is split into columns "0".."k-1").
/// Several tensor inputs of one value per row ([-1] or [-1, 1]): one column per input name.
/// </summary>
internal static class SignatureBinding
{
    public static Table Bind(IReadOnlyList<RawColumn> columns, Schema? inputs, bool fromText, ErrorCode code)
    {
        if (inputs is null)
        {
            return new Table(Unsigned(columns, code));
        }

        if (!inputs.IsTensorBased)
        {
            return BindColumns(columns, inputs, fromText, code);
        }

        var tensors = inputs.Tensors.ToList();
        if (tensors.Count == 1 && Width(tensors[0], code) != 1)
        {
            return BindStacked(columns, tensors[0], fromText, code);
        }

        foreach (var tensor in tensors)
        {
            if (Width(tensor, code) != 1)
            {
                throw new KeelException(code,
                    $"Input '{tensor.Name}' has shape {ShapeText(tensor.Shape)}; a model with several inputs takes one value per row ([-1] or [-1, 1]) for each.");
            }
        }

        if (!inputs.HasNames)
        {
            if (columns.Count != 1)
            {
                throw new KeelException(code, $"The model takes one unnamed input of one value per row but the request has {columns.Count} columns: {Names(columns)}.");
            }

            var spec = tensors[0];
            return new Table(Cells.ToColumn(columns[0].Name, Unwrap(columns[0], spec, code), Cells.TypeOf(spec.Dtype), spec.Dtype, fromText, code));
        }

        var byName = MatchNames(columns, tensors.Select(t => (t.Name!, true)).ToList(), "input", code);
        return new Table(tensors.Select(t => Cells.ToColumn(t.Name!, Unwrap(byName[t.Name!], t, code), Cells.TypeOf(t.Dtype), t.Dtype, fromText, code)));
    }

    /// <summary>Values per row of a tensor input: 1 for [-1] and [-1, 1], k for [-1, k], -1 when dynamic.</summary>
    public static int Width(TensorSpec spec, ErrorCode code) => spec.Shape.Count switch
    {
        1 => 1,
        2 => (int)spec.Shape[1],
        _ => throw new KeelException(code,
            $"Input '{spec.Name}' has shape {ShapeText(spec.Shape)}; Keel takes tensor inputs of shape [-1] and [-1, k] from a request."),
    };

    public static string ShapeText(IEnumerable<long> shape) =>
        "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary>Names "0".."n-1", pandas' default column labels.</summary>
    public static string[] DefaultNames(int count) =>
        [.. Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    private static Table BindColumns(IReadOnlyList<RawColumn> columns, Schema inputs, bool fromText, ErrorCode code)
    {
        var specs = inputs.Columns.ToList();
        if (!inputs.HasNames)
        {
            if (columns.Count != specs.Count)
            {
                throw new KeelException(code,
                    $"The model's signature has {specs.Count} unnamed input column{(specs.Count == 1 ? "" : "s")} but the request has {columns.Count}: {Names(columns)}.");
            }

            return new Table(columns.Select((c, i) => Cells.ToColumn(c.Name, c.Cells, Cells.TypeOf(specs[i].Type), specs[i].Type, fromText, code)));
        }

        var byName = MatchNames(columns, specs.Select(s => (s.Name!, s.Required)).ToList(), "input column", code);
        return new Table(specs.Where(s => byName.ContainsKey(s.Name!)).Select(s =>
            Cells.ToColumn(s.Name!, byName[s.Name!].Cells, Cells.TypeOf(s.Type), s.Type, fromText, code)));
    }

    private static Table BindStacked(IReadOnlyList<RawColumn> columns, TensorSpec spec, bool fromText, ErrorCode code)
    {
        var width = Width(spec, code);
        var name = spec.Name ?? "input";
        var shape = ShapeText(spec.Shape);
        if (columns.Count == 1 && columns[0].Cells.Length > 0 && Array.TrueForAll(columns[0].Cells, c => c is object?[]))
        {
            // One column of rows, e.g. {"inputs": {"input": [[...], ...]}} or instances of lists.
            var rows = columns[0].Cells.Cast<object?[]>().ToArray();
            var k = width > 0 ? width : rows[0].Length;
            for (var r = 0; r < rows.Length; r++)
            {
                if (rows[r].Length != k)
                {
                    throw new KeelException(code,
                        $"Input '{name}' takes rows of {k} values (shape {shape}) but row {r} has {rows[r].Length}.");
                }
            }

            columns = [.. DefaultNames(k).Select((n, i) => new RawColumn(n, [.. rows.Select(row => row[i])]))];
        }
        else if (width > 0 && columns.Count != width)
        {
            throw new KeelException(code,
                $"Input '{name}' takes rows of {width} values (shape {shape}) but the request has {columns.Count} column{(columns.Count == 1 ? "" : "s")}: {Names(columns)}.");
        }

        var type = Cells.TypeOf(spec.Dtype);
        return new Table(columns.Select(c => Cells.ToColumn(c.Name, c.Cells, type, spec.Dtype, fromText, code)));
    }

    /// <summary>The request's columns by the signature's names: a missing required one or an extra one is an error naming it.</summary>
    private static Dictionary<string, RawColumn> MatchNames(
        IReadOnlyList<RawColumn> columns, IReadOnlyList<(string Name, bool Required)> specs, string what, ErrorCode code)
    {
        var byName = columns.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var missing = specs.Where(s => s.Required && !byName.ContainsKey(s.Name)).Select(s => s.Name).ToList();
        if (missing.Count > 0)
        {
            throw new KeelException(code,
                $"The model is missing {what}{(missing.Count == 1 ? "" : "s")} {Quoted(missing)} required by its signature; the request has: {Names(columns)}.");
        }

        var known = specs.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var extra = columns.Where(c => !known.Contains(c.Name)).Select(c => c.Name).ToList();
        if (extra.Count > 0)
        {
            throw new KeelException(code,
                $"The request has {what}{(extra.Count == 1 ? "" : "s")} {Quoted(extra)} that the model signature does not have; its {what}s are: {Quoted(specs.Select(s => s.Name))}.");
        }

        return byName;
    }

    /// <summary>One value per row for a [-1] or [-1, 1] input: a one-element list [x] becomes x.</summary>
    private static object?[] Unwrap(RawColumn column, TensorSpec spec, ErrorCode code)
    {
        var cells = (object?[])column.Cells.Clone();
        for (var row = 0; row < cells.Length; row++)
        {
            if (cells[row] is object?[] list)
            {
                var single = list.Length == 1 && list[0] is not object?[];
                cells[row] = single
                    ? list[0]
                    : throw new KeelException(code,
                        $"Input '{spec.Name ?? column.Name}' takes one value per row (shape {ShapeText(spec.Shape)}) but row {row} holds {list.Length} values.");
            }
        }

        return cells;
    }

    /// <summary>Without a signature: types from the values; a single column of equal-length lists becomes columns "0".."k-1".</summary>
    private static IEnumerable<Column> Unsigned(IReadOnlyList<RawColumn> columns, ErrorCode code)
    {
        if (columns.Count == 1 && columns[0].Cells.Length > 0 && Array.TrueForAll(columns[0].Cells, c => c is object?[]))
        {
            var rows = columns[0].Cells.Cast<object?[]>().ToArray();
            var k = rows[0].Length;
            if (Array.Exists(rows, r => r.Length != k))
            {
                throw new KeelException(code, $"Input '{columns[0].Name}' has rows of different lengths; every row must have {k} values, as row 0 has.");
            }

            return DefaultNames(k).Select((n, i) => Cells.Infer(n, [.. rows.Select(row => row[i])]));
        }

        return columns.Select(c => Array.Exists(c.Cells, cell => cell is object?[])
            ? throw new KeelException(code, $"Column '{c.Name}' holds lists; without a model signature Keel takes one value per row in each column.")
            : Cells.Infer(c.Name, c.Cells));
    }

    private static string Names(IEnumerable<RawColumn> columns) =>
        columns.Any() ? Quoted(columns.Select(c => c.Name)) : "(none)";

    private static string Quoted(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));
}

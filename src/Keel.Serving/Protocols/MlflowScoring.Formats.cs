using System.Text.Json;
using Keel.Core.Errors;
using Keel.Serving.Models;

namespace Keel.Serving.Protocols;

// The four JSON input formats → named columns of untyped cells (reference §7).
public static partial class MlflowScoring
{
    private static readonly string[] SplitKeys = ["columns", "data", "index"];

    /// <summary>pandas "split" orient: <c>{"columns"?, "data", "index"?}</c>, data a list of rows.</summary>
    private static List<RawColumn> DataframeSplit(JsonElement split, Schema? inputs)
    {
        if (split.ValueKind != JsonValueKind.Object)
        {
            throw BadRequest("'dataframe_split' must be a JSON dictionary {\"columns\": [...], \"data\": [[...], ...]} (pandas split orient).");
        }

        var unknown = split.EnumerateObject().Select(p => p.Name).Where(k => !SplitKeys.Contains(k, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            throw BadRequest(
                $"'dataframe_split' has unexpected field{(unknown.Count == 1 ? "" : "s")} {string.Join(", ", unknown.Select(k => $"'{k}'"))}; only 'columns', 'data' and 'index' are allowed.");
        }

        if (!split.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            throw BadRequest("'dataframe_split' needs 'data', a list of rows (each a list with one value per column).");
        }

        if (split.TryGetProperty("index", out var index) && index.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
        {
            throw BadRequest("'dataframe_split.index' must be a list.");
        }

        var rows = data.EnumerateArray().Select((row, i) => Cells.FromJson(row, $"'dataframe_split.data' row {i}", ErrorCode.BAD_REQUEST)).ToList();
        string[] names;
        if (split.TryGetProperty("columns", out var columns) && columns.ValueKind != JsonValueKind.Null)
        {
            if (columns.ValueKind != JsonValueKind.Array)
            {
                throw BadRequest("'dataframe_split.columns' must be a list of column names.");
            }

            names = [.. columns.EnumerateArray().Select(c => c.ValueKind == JsonValueKind.String ? c.GetString()! : c.GetRawText())];
        }
        else
        {
            // Like pandas, columns 0..n-1; with a named signature of that width, its names (MLflow casts by position).
            var width = rows.Count == 0 ? 0 : rows[0] is object?[] first ? first.Length : 1;
            names = inputs is { HasNames: true } && inputs.Names.Count == width ? [.. inputs.Names] : SignatureBinding.DefaultNames(width);
        }

        CheckUnique(names, "'dataframe_split.columns'");
        var cells = names.Select(_ => new object?[rows.Count]).ToArray();
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r] as object?[] ?? [rows[r]];
            if (row.Length != names.Length)
            {
                throw BadRequest(
                    $"'dataframe_split.data' row {r} has {row.Length} value{(row.Length == 1 ? "" : "s")} but there are {names.Length} columns ({string.Join(", ", names.Select(n => $"'{n}'"))}); every row needs one value per column.");
            }

            for (var c = 0; c < names.Length; c++)
            {
                cells[c][r] = row[c];
            }
        }

        return [.. names.Select((name, c) => new RawColumn(name, cells[c]))];
    }

    /// <summary>pandas "records" orient: a list of row objects; a key absent from a row is a missing value.</summary>
    private static List<RawColumn> Records(JsonElement records, string field)
    {
        if (records.ValueKind != JsonValueKind.Array)
        {
            throw BadRequest($"'{field}' must be a list of row dictionaries [{{\"column\": value, ...}}, ...].");
        }

        var rows = records.EnumerateArray().ToList();
        var order = new List<string>();
        var values = new Dictionary<string, object?[]>(StringComparer.Ordinal);
        for (var r = 0; r < rows.Count; r++)
        {
            if (rows[r].ValueKind != JsonValueKind.Object)
            {
                throw BadRequest($"'{field}' row {r} is a JSON {rows[r].ValueKind.ToString().ToLowerInvariant()}; every row must be a dictionary of column values.");
            }

            foreach (var property in rows[r].EnumerateObject())
            {
                if (!values.TryGetValue(property.Name, out var column))
                {
                    values[property.Name] = column = new object?[rows.Count];
                    order.Add(property.Name);
                }

                column[r] = Cells.FromJson(property.Value, $"'{field}' row {r} column '{property.Name}'", ErrorCode.BAD_REQUEST);
            }
        }

        return [.. order.Select(name => new RawColumn(name, values[name]))];
    }

    /// <summary>TF-serving rows: a list of objects (regrouped into columns) or of values/lists (one tensor).</summary>
    private static List<RawColumn> Instances(JsonElement instances, Schema? inputs)
    {
        if (instances.ValueKind != JsonValueKind.Array)
        {
            throw BadRequest("'instances' must be a list of rows.");
        }

        if (instances.GetArrayLength() > 0 && instances.EnumerateArray().All(i => i.ValueKind == JsonValueKind.Object))
        {
            return Records(instances, "instances");
        }

        var rows = instances.EnumerateArray().Select((row, i) => Cells.FromJson(row, $"'instances' row {i}", ErrorCode.BAD_REQUEST)).ToArray();
        return RowsToColumns(rows, inputs, "instances");
    }

    /// <summary>TF-serving columnar: <c>{name: list}</c> (a column or tensor per name) or a bare list (one tensor).</summary>
    private static List<RawColumn> Inputs(JsonElement value, Schema? inputs)
    {
        if (value.ValueKind == JsonValueKind.Object)
        {
            var columns = new List<RawColumn>();
            foreach (var property in value.EnumerateObject())
            {
                var cells = Cells.FromJson(property.Value, $"'inputs' entry '{property.Name}'", ErrorCode.BAD_REQUEST);
                columns.Add(new RawColumn(property.Name, cells as object?[] ?? [cells]));
            }

            CheckUnique([.. columns.Select(c => c.Name)], "'inputs'");
            return columns;
        }

        if (value.ValueKind == JsonValueKind.Array)
        {
            var rows = (object?[])Cells.FromJson(value, "'inputs'", ErrorCode.BAD_REQUEST)!;
            return RowsToColumns(rows, inputs, "inputs");
        }

        throw BadRequest("'inputs' must be a dictionary of named lists or a list (a single tensor).");
    }

    /// <summary>
    /// Rows of one unnamed tensor → columns: scalar rows are one column (named after a one-input
    /// signature); list rows of width k are k columns, named by a signature with k column names, else "0".."k-1".
    /// </summary>
    private static List<RawColumn> RowsToColumns(object?[] rows, Schema? inputs, string field)
    {
        if (rows.Length == 0 || !Array.Exists(rows, r => r is object?[]))
        {
            var name = inputs is { HasNames: true, Fields.Count: 1 } ? inputs.Names[0] : "0";
            return [new RawColumn(name, rows)];
        }

        if (inputs is { IsTensorBased: true, Fields.Count: 1 })
        {
            // The single tensor input takes the rows whole; binding splits and checks them.
            return [new RawColumn(inputs.Fields[0].Name ?? "0", rows)];
        }

        var width = rows[0] is object?[] first ? first.Length : 1;
        for (var r = 0; r < rows.Length; r++)
        {
            var length = rows[r] is object?[] row ? row.Length : 1;
            if (length != width || rows[r] is not object?[])
            {
                throw BadRequest($"'{field}' row {r} has {length} value{(length == 1 ? "" : "s")} but row 0 has {width}; every row of a tensor must have the same length.");
            }
        }

        string[] names = inputs is { HasNames: true } && inputs.Names.Count == width ? [.. inputs.Names] : SignatureBinding.DefaultNames(width);
        return [.. names.Select((name, c) => new RawColumn(name, [.. rows.Select(r => ((object?[])r!)[c])]))];
    }

    private static void CheckUnique(IReadOnlyList<string> names, string field)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names.Where(n => !seen.Add(n)))
        {
            throw BadRequest($"{field} names column '{name}' twice; column names must be unique.");
        }
    }
}

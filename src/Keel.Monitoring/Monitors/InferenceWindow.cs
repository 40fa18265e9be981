using System.Globalization;
using System.Text.Json;
using Keel.Core.Inference;
using Keel.Core.Monitoring;
using Keel.Tabular;

namespace Keel.Monitoring.Monitors;

/// <summary>
/// The rows of a window of the inference log as one table: every input column, every output
/// (a scalar output as a column of its name — <c>prediction</c> for a model with one output — a
/// vector output as <c>name_0</c>, <c>name_1</c>, …), and <see cref="ActualColumn"/> from feedback.
/// Also the per-row class probabilities, when an output holds them, for estimated accuracy.
/// </summary>
public sealed record WindowTable(
    Table Table,
    int Requests,
    int RowsWithActual,
    IReadOnlyList<string> InputColumns,
    IReadOnlyList<string> OutputColumns,
    IReadOnlyList<double[]>? Probabilities,
    int UnreadableRequests)
{
    public const string ActualColumn = "actual";
    public const string SingleOutput = "prediction";

    /// <summary>
    /// Builds the table. A request's feedback is a scalar (one row scored) or an array with one
    /// value per row; feedback that does not fit the request's rows is left out. A record whose
    /// inputs or outputs cannot be read is skipped and counted.
    /// </summary>
    public static WindowTable Build(IReadOnlyList<InferenceRecord> records, IReadOnlyDictionary<string, StoredFeedback> feedback, string? probabilitiesOutput)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(feedback);
        var inputs = new Dictionary<string, List<object?>>(StringComparer.Ordinal);
        var outputs = new Dictionary<string, List<object?>>(StringComparer.Ordinal);
        var actual = new List<object?>();
        var probabilities = new List<double[]>();
        var withProbabilities = true;
        int rows = 0, requests = 0, unreadable = 0, withActual = 0;
        foreach (var record in records)
        {
            if (record.Inputs is null || record.Outputs is null)
            {
                continue;
            }

            RequestRows? parsed;
            try
            {
                parsed = Parse(record, probabilitiesOutput);
            }
            catch (JsonException)
            {
                parsed = null;
            }

            if (parsed is null)
            {
                unreadable++;
                continue;
            }

            requests++;
            Append(inputs, parsed.Inputs, rows, parsed.Rows);
            Append(outputs, parsed.Outputs, rows, parsed.Rows);
            if (parsed.Probabilities is { } p)
            {
                probabilities.AddRange(p);
            }
            else
            {
                withProbabilities = false;
            }

            var actuals = feedback.TryGetValue(record.RequestId, out var stored) ? Actuals(stored.Actual, parsed.Rows) : null;
            for (var i = 0; i < parsed.Rows; i++)
            {
                actual.Add(actuals?[i]);
            }

            withActual += actuals?.Count(a => a is not null) ?? 0;
            rows += parsed.Rows;
        }

        var columns = new List<Column>();
        foreach (var (name, values) in inputs)
        {
            Pad(values, rows);
            columns.Add(ToColumn(name, values));
        }

        var outputNames = new List<string>();
        foreach (var (name, values) in outputs)
        {
            Pad(values, rows);
            var columnName = inputs.ContainsKey(name) ? "output." + name : name;
            outputNames.Add(columnName);
            columns.Add(ToColumn(columnName, values));
        }

        if (!inputs.ContainsKey(ActualColumn) && !outputs.ContainsKey(ActualColumn))
        {
            columns.Add(ToColumn(ActualColumn, actual));
        }

        return new WindowTable(
            new Table(columns),
            requests,
            withActual,
            [.. inputs.Keys],
            outputNames,
            withProbabilities && probabilities.Count == rows && rows > 0 ? probabilities : null,
            unreadable);
    }

    private sealed record RequestRows(int Rows, Dictionary<string, object?[]> Inputs, Dictionary<string, object?[]> Outputs, List<double[]>? Probabilities);

    private static RequestRows? Parse(InferenceRecord record, string? probabilitiesOutput)
    {
        using var inputDocument = JsonDocument.Parse(record.Inputs!);
        using var outputDocument = JsonDocument.Parse(record.Outputs!);
        if (inputDocument.RootElement.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var inputs = new Dictionary<string, object?[]>(StringComparer.Ordinal);
        var rows = -1;
        foreach (var column in inputDocument.RootElement.EnumerateObject())
        {
            if (column.Value.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var values = column.Value.EnumerateArray().Select(Scalar).ToArray();
            if (rows >= 0 && values.Length != rows)
            {
                return null;
            }

            rows = values.Length;
            inputs[column.Name] = values;
        }

        if (rows <= 0 || !outputDocument.RootElement.TryGetProperty("predictions", out var predictions))
        {
            return null;
        }

        var outputs = new Dictionary<string, object?[]>(StringComparer.Ordinal);
        List<double[]>? probabilities = null;
        if (predictions.ValueKind == JsonValueKind.Object)
        {
            // Columns keyed by output name.
            foreach (var output in predictions.EnumerateObject())
            {
                if (output.Value.ValueKind != JsonValueKind.Array || output.Value.GetArrayLength() != rows)
                {
                    return null;
                }

                AddOutput(outputs, ref probabilities, output.Name, [.. output.Value.EnumerateArray()], rows, probabilitiesOutput);
            }
        }
        else if (predictions.ValueKind == JsonValueKind.Array && predictions.GetArrayLength() == rows)
        {
            var items = predictions.EnumerateArray().ToArray();
            if (items.All(i => i.ValueKind == JsonValueKind.Object))
            {
                // One object per row keyed by output name (MLflow's shape for several outputs).
                foreach (var name in items.SelectMany(i => i.EnumerateObject().Select(p => p.Name)).Distinct(StringComparer.Ordinal))
                {
                    var cells = items.Select(i => i.TryGetProperty(name, out var v) ? v : default).ToArray();
                    AddOutput(outputs, ref probabilities, name, cells, rows, probabilitiesOutput);
                }
            }
            else
            {
                AddOutput(outputs, ref probabilities, SingleOutput, items, rows, probabilitiesOutput);
            }
        }
        else
        {
            return null;
        }

        return new RequestRows(rows, inputs, outputs, probabilities);
    }

    private static void AddOutput(Dictionary<string, object?[]> outputs, ref List<double[]>? probabilities, string name, JsonElement[] cells, int rows, string? probabilitiesOutput)
    {
        if (cells.Any(c => c.ValueKind == JsonValueKind.Array))
        {
            var width = cells.Max(c => c.ValueKind == JsonValueKind.Array ? c.GetArrayLength() : 0);
            for (var k = 0; k < width; k++)
            {
                var index = k;
                outputs[$"{name}_{k}"] = [.. cells.Select(c => c.ValueKind == JsonValueKind.Array && c.GetArrayLength() > index ? Scalar(c[index]) : null)];
            }

            var isProbabilities = probabilitiesOutput is null
                ? name is "probabilities" or "probability" or "output_probability"
                : string.Equals(name, probabilitiesOutput, StringComparison.Ordinal);
            if (isProbabilities && cells.All(c => c.ValueKind == JsonValueKind.Array && c.EnumerateArray().All(v => v.ValueKind == JsonValueKind.Number)))
            {
                probabilities = [.. cells.Select(c => c.EnumerateArray().Select(v => v.GetDouble()).ToArray())];
            }

            return;
        }

        outputs[name] = [.. cells.Select(Scalar)];
    }

    private static object? Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.String => value.GetString(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Undefined or JsonValueKind.Null => null,
        _ => value.GetRawText(),
    };

    private static object?[]? Actuals(string json, int rows)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                return root.GetArrayLength() == rows ? [.. root.EnumerateArray().Select(Scalar)] : null;
            }

            return rows == 1 ? [Scalar(root)] : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Adds a request's columns at row <paramref name="offset"/>; columns it lacks (or new ones) are missing elsewhere.</summary>
    private static void Append(Dictionary<string, List<object?>> columns, Dictionary<string, object?[]> values, int offset, int rows)
    {
        foreach (var (name, cells) in values)
        {
            if (!columns.TryGetValue(name, out var column))
            {
                column = [];
                columns[name] = column;
            }

            Pad(column, offset);
            column.AddRange(cells);
        }
    }

    private static void Pad(List<object?> column, int length)
    {
        while (column.Count < length)
        {
            column.Add(null);
        }
    }

    /// <summary>Numbers (and missing) make a double column; anything else a text column with numbers as invariant text.</summary>
    private static Column ToColumn(string name, List<object?> values)
    {
        if (values.All(v => v is null or double))
        {
            return new DoubleColumn(name, [.. values.Select(v => v is double d ? d : double.NaN)]);
        }

        return new StringColumn(name, [.. values.Select(v => v switch
        {
            null => null,
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            string s => s,
            _ => v.ToString(),
        })]);
    }
}

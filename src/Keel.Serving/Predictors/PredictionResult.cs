using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Core.Errors;
using Keel.Tabular;

namespace Keel.Serving.Predictors;

/// <summary>
/// The named outputs of one <see cref="IPredictor.Predict"/> call, in the model's order, each with
/// one entry per input row. Evaluation reads "the predicted label per row"
/// (<see cref="GetPredictedLabels"/>, <see cref="GetPredictedValues"/>) and "the class scores per row"
/// (<see cref="GetClassScores"/>); serving turns it into MLflow's <c>predictions</c> value
/// (<see cref="ToMlflowPredictions"/>).
/// </summary>
public sealed class PredictionResult
{
    // The names converters and trainers give these outputs: skl2onnx (label, probabilities,
    // output_label, output_probability), ML.NET (PredictedLabel, Score, Probability), Keel's own.
    private static readonly string[] LabelNames =
        ["PredictedLabel", "label", "output_label", "predicted_label", "prediction", "predictions", "variable", "Score"];

    private static readonly string[] ScoreNames =
        ["probabilities", "output_probability", "probability", "Score", "scores", "probs"];

    private readonly PredictionTensor[] _outputs;

    public PredictionResult(IEnumerable<PredictionTensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        _outputs = [.. outputs];
        RowCount = _outputs.Length == 0 ? 0 : _outputs[0].RowCount;
        foreach (var output in _outputs)
        {
            if (output.RowCount != RowCount)
            {
                throw new ArgumentException($"Output '{output.Name}' has {output.RowCount} rows but '{_outputs[0].Name}' has {RowCount}.", nameof(outputs));
            }
        }
    }

    public IReadOnlyList<PredictionTensor> Outputs => _outputs;

    public int RowCount { get; }

    public PredictionTensor this[string name] => TryGetOutput(name, out var output)
        ? output
        : throw KeelException.Invalid($"The model has no output '{name}'; its outputs are: {string.Join(", ", _outputs.Select(o => o.Name))}.");

    public bool TryGetOutput(string name, out PredictionTensor output)
    {
        output = _outputs.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.Ordinal))!;
        return output is not null;
    }

    /// <summary>
    /// The output that holds one predicted label or value per row: a width-1 output with a known name
    /// (PredictedLabel, label, output_label, prediction, …, or ML.NET's scalar Score), else the first
    /// width-1 output that is not a probability; null when there is none.
    /// </summary>
    public PredictionTensor? FindLabelOutput() =>
        FindByName(LabelNames, o => o.RowWidth == 1)
        ?? _outputs.FirstOrDefault(o => o.RowWidth == 1 && !IsNamed(o, "Probability"));

    /// <summary>The output with one score per class per row (width ≥ 2): probabilities, output_probability, Score, …; else the first such float output.</summary>
    public PredictionTensor? FindScoresOutput() =>
        FindByName(ScoreNames, o => o.RowWidth >= 2 && o.IsNumeric)
        ?? _outputs.FirstOrDefault(o => o.RowWidth >= 2 && o.ElementType is ColumnType.Float or ColumnType.Double);

    /// <summary>The class names of the score columns, when the model carries them (ML.NET slot names, ONNX ZipMap keys).</summary>
    public IReadOnlyList<string>? ClassNames => FindScoresOutput()?.SlotNames;

    /// <summary>
    /// The predicted label of each row as text (numbers in invariant form, booleans as true/false, so
    /// they compare with <see cref="Column.ToStrings"/> of the target). Without a label output, the
    /// class of the highest score (its slot name, else its index).
    /// </summary>
    public string?[] GetPredictedLabels()
    {
        if (FindLabelOutput() is { } label)
        {
            return [.. Enumerable.Range(0, RowCount).Select(label.GetString)];
        }

        if (FindScoresOutput() is { } scores)
        {
            return [.. Enumerable.Range(0, RowCount).Select(row =>
            {
                var values = scores.GetRowDoubles(row);
                var best = Array.IndexOf(values, values.Max());
                return scores.SlotNames?[best] ?? best.ToString(CultureInfo.InvariantCulture);
            })];
        }

        throw NoOutput("one predicted label per row");
    }

    /// <summary>The predicted value of each row as a number (regression); NaN where missing.</summary>
    public double[] GetPredictedValues()
    {
        var label = FindLabelOutput() ?? throw NoOutput("one predicted value per row");
        return [.. Enumerable.Range(0, RowCount).Select(label.GetDouble)];
    }

    /// <summary>
    /// One score per class for each row, in the model's class order. A binary ML.NET model's single
    /// <c>Probability</c> becomes [1 - p, p].
    /// </summary>
    public double[][] GetClassScores()
    {
        if (FindScoresOutput() is { } scores)
        {
            return [.. Enumerable.Range(0, RowCount).Select(scores.GetRowDoubles)];
        }

        if (FindByName(["Probability"], o => o.RowWidth == 1 && o.IsNumeric) is { } probability)
        {
            return [.. Enumerable.Range(0, RowCount).Select(row => new[] { 1 - probability.GetDouble(row), probability.GetDouble(row) })];
        }

        throw NoOutput("class scores per row");
    }

    /// <summary>
    /// MLflow's <c>predictions</c> value: a single output as its nested list (NumPy's <c>tolist()</c>,
    /// what MLflow returns for an ndarray), several outputs as one object per row (pandas "records",
    /// what it returns for a DataFrame).
    /// </summary>
    public JsonNode ToMlflowPredictions() => _outputs.Length == 1 ? _outputs[0].ToJson() : ToRecords();

    /// <summary>
    /// Writes what <see cref="ToMlflowPredictions"/> returns straight to <paramref name="writer"/>,
    /// without building the JSON tree (the scoring endpoints' hot path).
    /// </summary>
    public void WriteMlflowPredictions(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (_outputs.Length == 1)
        {
            _outputs[0].WriteJson(writer);
            return;
        }

        writer.WriteStartArray();
        for (var row = 0; row < RowCount; row++)
        {
            writer.WriteStartObject();
            foreach (var output in _outputs)
            {
                writer.WritePropertyName(output.Name);
                if (output.RowWidth == 1)
                {
                    output.WriteValue(writer, row);
                }
                else
                {
                    output.WriteRow(writer, row);
                }
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>One JSON object per row: output name → value (width 1) or list.</summary>
    public JsonArray ToRecords()
    {
        var rows = new JsonArray();
        for (var row = 0; row < RowCount; row++)
        {
            var record = new JsonObject();
            foreach (var output in _outputs)
            {
                // A one-value row ([N] or [N,1]) is a scalar cell, as in a DataFrame column.
                record[output.Name] = output.RowWidth == 1 ? output.ValueToJson(row) : output.RowToJson(row);
            }

            rows.Add(record);
        }

        return rows;
    }

    /// <summary>
    /// The outputs as table columns, e.g. for writing batch predictions: a width-1 output is one column
    /// of its name; a wider one a column per slot, named <c>output_slot</c> (slot name or index).
    /// </summary>
    public Table ToTable()
    {
        var columns = new List<Column>();
        foreach (var output in _outputs)
        {
            for (var slot = 0; slot < output.RowWidth; slot++)
            {
                var name = output.RowWidth == 1 ? output.Name
                    : $"{output.Name}_{output.SlotNames?[slot] ?? slot.ToString(CultureInfo.InvariantCulture)}";
                columns.Add(Slice(output, slot, name));
            }
        }

        return new Table(columns);
    }

    private static Column Slice(PredictionTensor output, int slot, string name)
    {
        var rows = output.RowCount;
        var width = output.RowWidth;
        T[] Take<T>(T[] data) => [.. Enumerable.Range(0, rows).Select(r => data[(r * width) + slot])];
        return output.Data switch
        {
            float[] f => new FloatColumn(name, Take(f)),
            double[] d => new DoubleColumn(name, Take(d)),
            long[] l => new Int64Column(name, Take(l)),
            int[] i => new Int32Column(name, Take(i)),
            bool[] b => new BooleanColumn(name, Take(b)),
            string?[] s => new StringColumn(name, Take(s)),
            _ => throw new InvalidOperationException($"Output '{output.Name}' has an unknown element type."),
        };
    }

    private static bool IsNamed(PredictionTensor output, string name) =>
        string.Equals(output.Name, name, StringComparison.OrdinalIgnoreCase);

    private PredictionTensor? FindByName(string[] names, Func<PredictionTensor, bool> fits) =>
        names.Select(n => _outputs.FirstOrDefault(o => IsNamed(o, n) && fits(o))).FirstOrDefault(o => o is not null);

    private KeelException NoOutput(string what) => KeelException.Invalid(
        $"The model has no output holding {what}; its outputs are: {string.Join(", ", _outputs.Select(o => o.ToString()))}.");
}

using Keel.Serving.Models;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Keel.Serving.Internal;

/// <summary>ML.NET schemas in MLflow's terms, and which columns a model reads and writes.</summary>
internal static class MlNetSchemas
{
    // The columns ML.NET's scorers add: what a PredictionEngine user reads as "the prediction".
    private static readonly string[] ScoreColumns = ["PredictedLabel", "Score", "Probability"];

    /// <summary>
    /// The MLflow signature of a model: inputs from the input schema, outputs from
    /// <see cref="OutputColumns"/>. A side is column-based (Single → float, Double → double,
    /// Int32 → integer, Int64 → long, Boolean → boolean, Text → string, keys → long) unless it has a
    /// vector column; then, since MLflow does not mix the two kinds in one schema, every column of that
    /// side is a tensor spec ([-1] for a scalar, [-1, k] for a vector).
    /// </summary>
    public static ModelSignature Signature(ITransformer model, DataViewSchema inputSchema, IReadOnlySet<string> optionalInputs)
    {
        var inputs = Visible(inputSchema).ToList();
        var outputSchema = model.GetOutputSchema(inputSchema);
        var outputs = OutputColumns(outputSchema, inputSchema).Select(name => outputSchema[name]).ToList();
        return new ModelSignature(
            inputs.Count == 0 ? null : Describe(inputs, c => !optionalInputs.Contains(c.Name)),
            outputs.Count == 0 ? null : Describe(outputs, _ => true));
    }

    /// <summary>
    /// The output columns a prediction returns: the columns the model adds (not input columns, not
    /// hidden, not variable-size vectors); of those only the scorer's PredictedLabel / Score /
    /// Probability when the model has a scorer, so intermediate columns (Features, a key-mapped
    /// Label) stay out of the answer.
    /// </summary>
    public static IReadOnlyList<string> OutputColumns(DataViewSchema outputSchema, DataViewSchema inputSchema)
    {
        var inputNames = Visible(inputSchema).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var added = Visible(outputSchema)
            .Where(c => !inputNames.Contains(c.Name) && IsReadable(c.Type))
            .Select(c => c.Name)
            .ToList();
        var scored = added.Where(n => ScoreColumns.Contains(n, StringComparer.Ordinal)).ToList();
        return scored.Count > 0 ? scored : added;
    }

    /// <summary>
    /// Input columns the model can do without: those whose removal still leaves a valid output
    /// schema (ML.NET's transformers check their input columns there), plus the label column the
    /// caller names, which a pipeline may read (MapValueToKey) but a prediction never needs.
    /// </summary>
    public static HashSet<string> OptionalInputs(ITransformer model, DataViewSchema inputSchema, string? labelColumn)
    {
        var optional = new HashSet<string>(StringComparer.Ordinal);
        var columns = Visible(inputSchema).ToList();
        foreach (var column in columns)
        {
            var builder = new DataViewSchema.Builder();
            foreach (var other in columns.Where(c => c.Index != column.Index))
            {
                builder.AddColumn(other.Name, other.Type, other.Annotations);
            }

            try
            {
                model.GetOutputSchema(builder.ToSchema());
                optional.Add(column.Name);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                // The model reads this column.
            }
        }

        if (labelColumn is not null && columns.Any(c => string.Equals(c.Name, labelColumn, StringComparison.Ordinal)))
        {
            optional.Add(labelColumn);
        }

        return optional;
    }

    public static IEnumerable<DataViewSchema.Column> Visible(DataViewSchema schema) => schema.Where(c => !c.IsHidden);

    /// <summary>Scalars of the supported types and fixed-size vectors of them.</summary>
    public static bool IsReadable(DataViewType type) => type switch
    {
        VectorDataViewType vector => vector.IsKnownSize && MlflowType(vector.ItemType) is not null,
        _ => MlflowType(type) is not null,
    };

    public static string? MlflowType(DataViewType type) => type switch
    {
        KeyDataViewType => "long",
        BooleanDataViewType => "boolean",
        TextDataViewType => "string",
        DateTimeDataViewType => "datetime",
        _ when type.RawType == typeof(float) => "float",
        _ when type.RawType == typeof(double) => "double",
        _ when type.RawType == typeof(int) || type.RawType == typeof(short) || type.RawType == typeof(ushort)
            || type.RawType == typeof(sbyte) || type.RawType == typeof(byte) => "integer",
        _ when type.RawType == typeof(long) || type.RawType == typeof(uint) || type.RawType == typeof(ulong) => "long",
        _ => null,
    };

    public static string NumpyDtype(DataViewType type) => MlflowType(type) switch
    {
        "float" => "float32",
        "double" => "float64",
        "integer" => "int32",
        "long" => "int64",
        "boolean" => "bool",
        "datetime" => "datetime64[ns]",
        _ => "object",
    };

    private static Schema Describe(IReadOnlyList<DataViewSchema.Column> columns, Func<DataViewSchema.Column, bool> required)
    {
        if (columns.Any(c => c.Type is VectorDataViewType))
        {
            return new Schema(columns.Select(c => c.Type is VectorDataViewType vector
                ? new TensorSpec(c.Name, NumpyDtype(vector.ItemType), [-1, vector.IsKnownSize ? vector.Size : -1])
                : new TensorSpec(c.Name, NumpyDtype(c.Type), [-1])));
        }

        return new Schema(columns.Select(c => new ColumnSpec(c.Name, MlflowType(c.Type) ?? "string", required(c))));
    }
}

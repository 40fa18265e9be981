using Keel.Core.Errors;
using Keel.Serving.Models;
using Keel.Serving.Protocols;
using Keel.Tabular;

namespace Keel.Serving.Batch.Internal;

/// <summary>
/// Which columns of a file a model reads, as what type, and which go to the output. The features
/// follow the model's input signature as the predictors bind it: columns by name for a column-based
/// signature (required ones must be in the file; extra file columns are carried, not fed) and for
/// several named one-value tensors; for a single [-1, k] tensor, every column but the id column, which
/// must then be exactly k. The signature's types are declared to the reader, so a bad value fails
/// at its line rather than in the model.
/// </summary>
internal sealed record ScoringPlan(
    IReadOnlyList<string> Read,
    IReadOnlyList<string> Features,
    IReadOnlyList<string> Kept,
    IReadOnlyDictionary<string, ColumnType> Types)
{
    public const string TypeReason = "the model takes this column as an input";

    public static ScoringPlan Create(ModelSignature signature, IReadOnlyList<string> columns, string where, string? idColumn)
    {
        if (columns.Count == 0)
        {
            throw KeelException.Invalid($"{where} has no rows, so it has no columns; there is nothing to score.");
        }

        if (idColumn is not null && !columns.Contains(idColumn, StringComparer.Ordinal))
        {
            throw KeelException.Invalid($"{where} has no column '{idColumn}' (the id column); its columns are: {List(columns)}.");
        }

        var candidates = columns.Where(c => !string.Equals(c, idColumn, StringComparison.Ordinal)).ToList();
        var types = new Dictionary<string, ColumnType>(StringComparer.Ordinal);
        var features = signature.Inputs switch
        {
            null => candidates,
            { IsTensorBased: false } inputs => ByColumnSpecs(inputs, columns, candidates, where, types),
            var inputs => ByTensorSpecs([.. inputs.Tensors], columns, candidates, where, types),
        };

        IReadOnlyList<string> kept = idColumn is null ? columns : [idColumn];
        var read = columns.Where(c => kept.Contains(c, StringComparer.Ordinal) || features.Contains(c, StringComparer.Ordinal)).ToList();
        return new ScoringPlan(read, features, kept, types);
    }

    private static List<string> ByColumnSpecs(Schema inputs, IReadOnlyList<string> columns, List<string> candidates, string where, Dictionary<string, ColumnType> types)
    {
        var specs = inputs.Columns.ToList();
        if (!inputs.HasNames)
        {
            if (candidates.Count != specs.Count)
            {
                throw KeelException.Invalid(
                    $"The model's signature has {specs.Count} unnamed input column{Plural(specs.Count)} but {where} has {candidates.Count}{Besides(candidates, columns)}: {List(candidates)}.");
            }

            for (var i = 0; i < specs.Count; i++)
            {
                Declare(types, candidates[i], specs[i].Type);
            }

            return candidates;
        }

        var missing = specs.Where(s => s.Required && !columns.Contains(s.Name!, StringComparer.Ordinal)).Select(s => s.Name!).ToList();
        if (missing.Count > 0)
        {
            throw KeelException.Invalid(
                $"{where} lacks the column{Plural(missing.Count)} {List(missing)} that the model's signature requires; its columns are: {List(columns)}.");
        }

        var present = specs.Where(s => columns.Contains(s.Name!, StringComparer.Ordinal)).ToList();
        foreach (var spec in present)
        {
            Declare(types, spec.Name!, spec.Type);
        }

        return [.. present.Select(s => s.Name!)];
    }

    private static List<string> ByTensorSpecs(List<TensorSpec> tensors, IReadOnlyList<string> columns, List<string> candidates, string where, Dictionary<string, ColumnType> types)
    {
        if (tensors.Count == 1)
        {
            var tensor = tensors[0];
            var width = SignatureBinding.Width(tensor, ErrorCode.INVALID_PARAMETER_VALUE);
            List<string> features;
            if (width == 1 && tensor.Name is { } own && columns.Contains(own, StringComparer.Ordinal))
            {
                features = [own];
            }
            else if (width > 0 && candidates.Count != width)
            {
                throw KeelException.Invalid(
                    $"The model takes {width} feature column{Plural(width)} (input '{tensor.Name ?? "0"}', shape {SignatureBinding.ShapeText(tensor.Shape)}) but {where} has {candidates.Count}{Besides(candidates, columns)}: {List(candidates)}. "
                    + "Give it exactly the model's feature columns, in the model's order, and name an id column to carry along with --id-column.");
            }
            else
            {
                features = candidates;
            }

            foreach (var feature in features)
            {
                Declare(types, feature, tensor.Dtype);
            }

            return features;
        }

        foreach (var tensor in tensors)
        {
            if (tensor.Name is null || SignatureBinding.Width(tensor, ErrorCode.INVALID_PARAMETER_VALUE) != 1)
            {
                throw KeelException.Invalid(
                    $"The model's input '{tensor.Name ?? "(unnamed)"}' has shape {SignatureBinding.ShapeText(tensor.Shape)}; with several inputs, each must be named and take one value per row ([-1] or [-1, 1]) to come from a column.");
            }
        }

        var missing = tensors.Where(t => !columns.Contains(t.Name!, StringComparer.Ordinal)).Select(t => t.Name!).ToList();
        if (missing.Count > 0)
        {
            throw KeelException.Invalid(
                $"{where} lacks the column{Plural(missing.Count)} {List(missing)} that the model takes as input{Plural(missing.Count)}; its columns are: {List(columns)}.");
        }

        foreach (var tensor in tensors)
        {
            Declare(types, tensor.Name!, tensor.Dtype);
        }

        return [.. tensors.Select(t => t.Name!)];
    }

    /// <summary>Numbers are parsed as double (float too: the predictor narrows them, as it does a table read whole) or int64.</summary>
    private static void Declare(Dictionary<string, ColumnType> types, string column, string signatureType)
    {
        if (Cells.TypeOf(signatureType) is { } type)
        {
            types[column] = type switch
            {
                ColumnType.Float => ColumnType.Double,
                ColumnType.Int32 => ColumnType.Int64,
                _ => type,
            };
        }
    }

    private static string Besides(List<string> candidates, IReadOnlyList<string> columns) =>
        candidates.Count == columns.Count ? "" : " besides the id column";

    private static string Plural(int count) => count == 1 ? "" : "s";

    private static string List(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));
}

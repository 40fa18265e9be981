using Keel.Core.Errors;
using Keel.Monitoring.Quality.Internal;

namespace Keel.Monitoring.Quality;

/// <summary>
/// Classification quality with scikit-learn 1.2 semantics: <c>accuracy_score</c>,
/// <c>precision_recall_fscore_support</c> (zero_division → 0), <c>confusion_matrix</c>,
/// <c>roc_auc_score</c>, <c>log_loss</c> and <c>average_precision_score</c>.
/// </summary>
public static class ClassificationMetrics
{
    /// <param name="yTrue">The true label of each sample.</param>
    /// <param name="yPred">The predicted label of each sample.</param>
    /// <param name="scores">
    /// Optional: a row per sample and a column per class (probabilities for <c>log_loss</c>), in the
    /// order of <paramref name="classes"/>. Without it ROC AUC, log loss and average precision are null.
    /// </param>
    /// <param name="classes">
    /// Optional class order (a model's <c>classes_</c>). Defaults to the labels of both lists in
    /// <see cref="ClassLabels.Order"/> order; when given, every label must be one of them.
    /// </param>
    /// <param name="positiveClass">Optional class for the binary ROC AUC and average precision on its score column.</param>
    public static ClassificationReport Evaluate(
        IReadOnlyList<string> yTrue,
        IReadOnlyList<string> yPred,
        IReadOnlyList<IReadOnlyList<double>>? scores = null,
        IReadOnlyList<string>? classes = null,
        string? positiveClass = null)
    {
        Inputs.RequireSameNonEmptyLength(yTrue, nameof(yTrue), yPred, nameof(yPred));
        var order = classes is null ? ClassLabels.Order(Labels(yTrue, nameof(yTrue)).Concat(Labels(yPred, nameof(yPred)))) : CheckClasses(classes);
        var index = new Dictionary<string, int>(order.Count, StringComparer.Ordinal);
        for (var c = 0; c < order.Count; c++)
        {
            index[order[c]] = c;
        }

        var truth = Indices(yTrue, nameof(yTrue), index);
        var predicted = Indices(yPred, nameof(yPred), index);
        if (scores is not null)
        {
            CheckScores(scores, yTrue.Count, order.Count, classes is null);
        }

        if (positiveClass is not null && !index.ContainsKey(positiveClass))
        {
            throw KeelException.Invalid($"'{nameof(positiveClass)}' is '{positiveClass}', which is not one of the classes [{string.Join(", ", order)}].");
        }

        var k = order.Count;
        var matrix = new long[k][];
        for (var c = 0; c < k; c++)
        {
            matrix[c] = new long[k];
        }

        for (var i = 0; i < truth.Length; i++)
        {
            matrix[truth[i]][predicted[i]]++;
        }

        long correct = 0;
        var perClass = new ClassQuality[k];
        var rocAucs = new double?[k];
        for (var c = 0; c < k; c++)
        {
            long support = 0;
            long predictedCount = 0;
            for (var other = 0; other < k; other++)
            {
                support += matrix[c][other];
                predictedCount += matrix[other][c];
            }

            var tp = matrix[c][c];
            correct += tp;
            var (precision, recall, f1) = Scores(tp, predictedCount, support);
            rocAucs[c] = scores is null ? null : RankingMetrics.RocAuc(IsClass(truth, c), Column(scores, c));
            perClass[c] = new ClassQuality(order[c], precision, recall, f1, support, rocAucs[c]);
        }

        var n = truth.Length;
        var positive = positiveClass is null ? -1 : index[positiveClass];
        return new ClassificationReport
        {
            Classes = order,
            SampleCount = n,
            Accuracy = (double)correct / n,
            Macro = Average(perClass, weighted: false),
            Weighted = Average(perClass, weighted: true),
            Micro = Scores(correct, n, n),
            PerClass = perClass,
            ConfusionMatrix = matrix,
            RocAuc = k switch
            {
                < 2 => null,
                2 => rocAucs[1],
                _ => rocAucs.All(a => a.HasValue) ? Mean(rocAucs.Select(a => a!.Value)) : null,
            },
            LogLoss = scores is null || k < 2 ? null : LogLoss(truth, scores),
            PositiveClass = positiveClass,
            PositiveClassRocAuc = scores is null || positive < 0 ? null : rocAucs[positive],
            PositiveClassAveragePrecision = scores is null || positive < 0
                ? null
                : RankingMetrics.AveragePrecision(IsClass(truth, positive), Column(scores, positive)),
        };
    }

    /// <summary>The same for integer labels; classes order numerically, and the report's labels are their invariant text.</summary>
    public static ClassificationReport Evaluate(
        IReadOnlyList<long> yTrue,
        IReadOnlyList<long> yPred,
        IReadOnlyList<IReadOnlyList<double>>? scores = null,
        IReadOnlyList<long>? classes = null,
        long? positiveClass = null) =>
        Evaluate(
            ClassLabels.Format(yTrue),
            ClassLabels.Format(yPred),
            scores,
            classes is null ? null : ClassLabels.Format(classes),
            positiveClass is { } p ? ClassLabels.Format(p) : null);

    /// <summary>
    /// sklearn 1.2 <c>log_loss</c>: clip to [eps, 1 − eps] with eps = "auto", the float64 machine
    /// epsilon, renormalise each row to sum 1, then average −log p(true class).
    /// </summary>
    private static double LogLoss(int[] truth, IReadOnlyList<IReadOnlyList<double>> scores)
    {
        var total = default(NeumaierSum);
        for (var i = 0; i < truth.Length; i++)
        {
            var row = scores[i];
            var rowSum = default(NeumaierSum);
            for (var c = 0; c < row.Count; c++)
            {
                rowSum.Add(Clip(row[c]));
            }

            total.Add(-Math.Log(Clip(row[truth[i]]) / rowSum.Value));
        }

        return total.Value / truth.Length;

        static double Clip(double p) => Math.Clamp(p, Inputs.MachineEpsilon, 1 - Inputs.MachineEpsilon);
    }

    /// <summary>Precision, recall and F1 from counts as sklearn 1.2 does, 0 where a denominator is 0.</summary>
    private static PrecisionRecallF1 Scores(long truePositives, long predicted, long support)
    {
        var precision = predicted == 0 ? 0.0 : (double)truePositives / predicted;
        var recall = support == 0 ? 0.0 : (double)truePositives / support;
        var denominator = precision + recall;

        // sklearn 1.2 combines the rounded precision and recall (not 2·tp / (2·tp + fp + fn)).
        var f1 = denominator == 0 ? 0.0 : 2 * precision * recall / denominator;
        return new PrecisionRecallF1(precision, recall, f1);
    }

    private static PrecisionRecallF1 Average(IReadOnlyList<ClassQuality> perClass, bool weighted)
    {
        var precision = default(NeumaierSum);
        var recall = default(NeumaierSum);
        var f1 = default(NeumaierSum);
        var weights = default(NeumaierSum);
        foreach (var quality in perClass)
        {
            var weight = weighted ? quality.Support : 1.0;
            precision.Add(quality.Precision * weight);
            recall.Add(quality.Recall * weight);
            f1.Add(quality.F1 * weight);
            weights.Add(weight);
        }

        var total = weights.Value;
        return total == 0
            ? new PrecisionRecallF1(0, 0, 0)
            : new PrecisionRecallF1(precision.Value / total, recall.Value / total, f1.Value / total);
    }

    private static double Mean(IEnumerable<double> values)
    {
        var sum = default(NeumaierSum);
        var count = 0;
        foreach (var value in values)
        {
            sum.Add(value);
            count++;
        }

        return sum.Value / count;
    }

    private static IEnumerable<string> Labels(IReadOnlyList<string> labels, string name)
    {
        for (var i = 0; i < labels.Count; i++)
        {
            yield return labels[i] ?? throw KeelException.Invalid($"'{name}' has no label at index {i}: every sample needs one.");
        }
    }

    private static IReadOnlyList<string> CheckClasses(IReadOnlyList<string> classes)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var c = 0; c < classes.Count; c++)
        {
            if (classes[c] is null || !seen.Add(classes[c]))
            {
                throw KeelException.Invalid($"'{nameof(classes)}' has a missing or repeated label at index {c}: each class must appear once.");
            }
        }

        return classes.Count == 0
            ? throw KeelException.Invalid($"'{nameof(classes)}' is empty: give at least one class or leave it out.")
            : classes;
    }

    private static int[] Indices(IReadOnlyList<string> labels, string name, Dictionary<string, int> index)
    {
        var indices = new int[labels.Count];
        for (var i = 0; i < indices.Length; i++)
        {
            if (labels[i] is null || !index.TryGetValue(labels[i], out indices[i]))
            {
                throw KeelException.Invalid($"'{name}' has '{labels[i]}' at index {i}, which is not one of the given classes.");
            }
        }

        return indices;
    }

    private static void CheckScores(IReadOnlyList<IReadOnlyList<double>> scores, int samples, int classCount, bool classesInferred)
    {
        if (scores.Count != samples)
        {
            throw KeelException.Invalid($"'{nameof(scores)}' has {scores.Count} rows but 'yTrue' has {samples} values: give one row per sample.");
        }

        for (var i = 0; i < scores.Count; i++)
        {
            var row = scores[i] ?? throw KeelException.Invalid($"'{nameof(scores)}' has no row at index {i}: give one row per sample.");
            if (row.Count != classCount)
            {
                var hint = classesInferred ? $" (found in the labels; pass 'classes' when the model has others)" : "";
                throw KeelException.Invalid(
                    $"'{nameof(scores)}' row {i} has {row.Count} columns but there are {classCount} classes{hint}: give one column per class.");
            }

            Inputs.RequireFinite(row, $"{nameof(scores)}[{i}]");
        }
    }

    private static bool[] IsClass(int[] truth, int c)
    {
        var result = new bool[truth.Length];
        for (var i = 0; i < truth.Length; i++)
        {
            result[i] = truth[i] == c;
        }

        return result;
    }

    private static double[] Column(IReadOnlyList<IReadOnlyList<double>> scores, int c)
    {
        var column = new double[scores.Count];
        for (var i = 0; i < column.Length; i++)
        {
            column[i] = scores[i][c];
        }

        return column;
    }
}

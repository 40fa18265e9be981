using System.Globalization;
using System.Text;
using System.Text.Json;
using Keel.Client.Models;
using Keel.Tabular;

namespace Keel.Client;

public sealed partial class KeelClient
{
    /// <summary>
    /// Scores a labelled CSV or Parquet file with a model and computes its quality: for classifiers
    /// accuracy, precision/recall/F1 (macro, weighted, micro), ROC AUC, log loss and the confusion
    /// matrix; for regressors RMSE, MAE, R² and MAPE. The metrics are logged to a run (a new one
    /// unless <see cref="EvaluateOptions.RunId"/> is given) and the confusion matrix stored as the
    /// artifact <c>evaluation/confusion_matrix.json</c>.
    /// </summary>
    /// <param name="modelUri">The model (<c>models:/…</c>, <c>runs:/…</c>).</param>
    /// <param name="dataPath">A <c>.csv</c> or <c>.parquet</c> file with the model's inputs and the target.</param>
    /// <param name="targetColumn">The column holding the true labels or values.</param>
    /// <param name="options">Run, experiment, task.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    /// <returns>The metrics, and the run they were logged to.</returns>
    public async Task<ModelEvaluation> EvaluateModelAsync(
        string modelUri, string dataPath, string targetColumn, EvaluateOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataPath);
        ArgumentException.ThrowIfNullOrEmpty(targetColumn);
        options ??= new EvaluateOptions();
        var data = await TableReader.ReadAsync(dataPath, cancellationToken);
        ModelEvaluation evaluation;
        using (var model = await LoadModelAsync(modelUri, options.ModelOptions, cancellationToken))
        {
            evaluation = ModelEvaluator.Evaluate(modelUri, model.Predictor, data, targetColumn, options.Task);
        }

        if (!options.LogToRun)
        {
            return evaluation;
        }

        var runId = options.RunId;
        var created = runId is null;
        if (created)
        {
            var run = await CreateRunAsync(options.ExperimentId ?? "0", $"evaluate {modelUri}", cancellationToken: cancellationToken);
            runId = run.Info.RunId;
        }

        var now = _options.TimeProvider.GetUtcNow();
        await LogBatchAsync(
            runId!,
            evaluation.Metrics.Select(m => new Metric(m.Key, m.Value, now, 0)).ToList(),
            null,
            [
                new KeyValue("keel.evaluation.model_uri", modelUri),
                new KeyValue("keel.evaluation.data", Path.GetFileName(dataPath)),
                new KeyValue("keel.evaluation.target", targetColumn),
                new KeyValue("keel.evaluation.task", evaluation.Task.ToString().ToLowerInvariant()),
                new KeyValue("keel.evaluation.rows", evaluation.RowCount.ToString(CultureInfo.InvariantCulture)),
            ],
            cancellationToken);
        if (evaluation.ConfusionMatrix is { } matrix)
        {
            var json = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["labels"] = evaluation.Classes!,
                ["matrix"] = matrix,
            });
            await UploadArtifactAsync(runId!, "evaluation/confusion_matrix.json", new MemoryStream(Encoding.UTF8.GetBytes(json)), cancellationToken);
        }

        if (created)
        {
            await EndRunAsync(runId!, RunStatus.Finished, cancellationToken);
        }

        return evaluation with { RunId = runId };
    }
}

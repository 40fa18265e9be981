using Keel.Core.Deployments;
using Keel.Serving.Predictors;
using Keel.Tabular;

namespace Keel.Server.Serving;

/// <summary>
/// Adaptive micro-batching for one route (deployment option `batching`): concurrent requests are
/// scored in one call. The first request of a batch waits at most `max_wait_ms` for others; a batch
/// that reaches `max_batch_size` rows is scored at once by the request that filled it. Inputs are
/// concatenated column by column and the predictions split back by row range; inputs that do not
/// concatenate (different columns or types) are scored one by one. Under light load a request pays
/// up to the wait; under heavy load many requests share one model call.
/// </summary>
public sealed class MicroBatcher(IPredictor predictor, BatchingSpec spec)
{
    private readonly Lock _gate = new();
    private List<Pending> _pending = [];
    private int _rows;

    public Task<PredictionResult> PredictAsync(Table input)
    {
        var item = new Pending(input);
        List<Pending>? full = null;
        var leader = false;
        lock (_gate)
        {
            _pending.Add(item);
            _rows += input.RowCount;
            if (_rows >= spec.MaxBatchSize)
            {
                full = Take();
            }
            else if (_pending.Count == 1)
            {
                leader = true;
            }
        }

        if (full is not null)
        {
            Run(full);
        }
        else if (leader)
        {
            _ = FlushAfterWaitAsync(item);
        }

        return item.Result.Task;
    }

    private async Task FlushAfterWaitAsync(Pending first)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(spec.MaxWaitMs));
        List<Pending>? batch = null;
        lock (_gate)
        {
            // Only if the batch this request opened is still waiting (not taken by a full flush).
            if (_pending.Count > 0 && ReferenceEquals(_pending[0], first))
            {
                batch = Take();
            }
        }

        if (batch is not null)
        {
            Run(batch);
        }
    }

    private List<Pending> Take()
    {
        var batch = _pending;
        _pending = [];
        _rows = 0;
        return batch;
    }

    private void Run(List<Pending> batch)
    {
        if (batch.Count == 1)
        {
            Complete(batch[0], () => predictor.Predict(batch[0].Input));
            return;
        }

        Table combined;
        try
        {
            combined = Concat(batch.ConvertAll(p => p.Input));
        }
        catch (InvalidOperationException)
        {
            foreach (var p in batch)
            {
                Complete(p, () => predictor.Predict(p.Input));
            }

            return;
        }

        PredictionResult result;
        try
        {
            result = predictor.Predict(combined);
        }
        catch (Exception)
        {
            // One bad row must not fail its neighbours: score each request alone to find whose it is.
            foreach (var p in batch)
            {
                Complete(p, () => predictor.Predict(p.Input));
            }

            return;
        }

        var start = 0;
        foreach (var p in batch)
        {
            var rows = p.Input.RowCount;
            var from = start;
            Complete(p, () => Slice(result, from, rows));
            start += rows;
        }
    }

    private static void Complete(Pending pending, Func<PredictionResult> predict)
    {
        try
        {
            pending.Result.TrySetResult(predict());
        }
        catch (Exception e)
        {
            pending.Result.TrySetException(e);
        }
    }

    /// <summary>Rows of several tables with the same columns, in order; InvalidOperationException when they differ.</summary>
    internal static Table Concat(List<Table> tables)
    {
        var first = tables[0];
        var columns = new List<Column>(first.ColumnCount);
        for (var c = 0; c < first.ColumnCount; c++)
        {
            var name = first[c].Name;
            var parts = tables.ConvertAll(t => t.ColumnCount == first.ColumnCount && t[c].Name == name && t[c].GetType() == first[c].GetType()
                ? t[c] : throw new InvalidOperationException("The batched requests have different columns."));
            columns.Add(parts[0] switch
            {
                DoubleColumn => new DoubleColumn(name, Join(parts, p => ((DoubleColumn)p).Values)),
                FloatColumn => new FloatColumn(name, Join(parts, p => ((FloatColumn)p).Values)),
                Int64Column => new Int64Column(name, Join(parts, p => ((Int64Column)p).Values), JoinMissing(parts, p => ((Int64Column)p).Missing)),
                Int32Column => new Int32Column(name, Join(parts, p => ((Int32Column)p).Values), JoinMissing(parts, p => ((Int32Column)p).Missing)),
                BooleanColumn => new BooleanColumn(name, Join(parts, p => ((BooleanColumn)p).Values), JoinMissing(parts, p => ((BooleanColumn)p).Missing)),
                StringColumn => new StringColumn(name, Join(parts, p => ((StringColumn)p).Values)),
                _ => throw new InvalidOperationException($"Column type {parts[0].GetType().Name} is not batched."),
            });
        }

        return new Table(columns);
    }

    /// <summary>Rows [start, start + count) of every output.</summary>
    internal static PredictionResult Slice(PredictionResult result, int start, int count) =>
        new(result.Outputs.Select(o =>
        {
            var width = o.RowWidth;
            var data = Array.CreateInstance(o.Data.GetType().GetElementType()!, count * width);
            Array.Copy(o.Data, start * width, data, 0, count * width);
            return new PredictionTensor(o.Name, data, [count, .. o.Shape.Skip(1)], o.SlotNames);
        }));

    private static T[] Join<T>(List<Column> parts, Func<Column, T[]> values)
    {
        var all = new T[parts.Sum(p => p.Length)];
        var at = 0;
        foreach (var part in parts)
        {
            var v = values(part);
            Array.Copy(v, 0, all, at, part.Length);
            at += part.Length;
        }

        return all;
    }

    private static bool[]? JoinMissing(List<Column> parts, Func<Column, bool[]?> missing)
    {
        if (parts.All(p => missing(p) is null))
        {
            return null;
        }

        return Join(parts, p => missing(p) ?? new bool[p.Length]);
    }

    private sealed class Pending(Table input)
    {
        public Table Input { get; } = input;

        public TaskCompletionSource<PredictionResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

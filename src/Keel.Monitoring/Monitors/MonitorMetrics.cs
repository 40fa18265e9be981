using Keel.Core.Monitoring;
using Keel.Monitoring.Drift;
using Keel.Monitoring.Reports;

namespace Keel.Monitoring.Monitors;

/// <summary>
/// A window's report as time-series points: window-level metrics under feature "" (rows,
/// dataset_drift, drift_share, drifted_features, quality metrics, estimated_accuracy…) and per
/// feature (statistic, drifted, psi, jensen_shannon, ks_statistic, ks_p_value, wasserstein_normed,
/// chi_square_p_value, missing_share, out_of_range_share, new_categories, type_mismatch, type_errors).
/// Alert rules and the
/// Prometheus gauges read these names.
/// </summary>
public static class MonitorMetrics
{
    public static IReadOnlyList<MonitorMetric> From(string monitor, long windowEnd, MonitoringReport report)
    {
        var points = new List<MonitorMetric>();
        void Add(string feature, string metric, double? value)
        {
            if (value is { } v && double.IsFinite(v))
            {
                points.Add(new MonitorMetric(monitor, windowEnd, feature, metric, v));
            }
        }

        var drift = report.DataDrift;
        Add("", "rows", report.Window?.Rows ?? drift.CurrentRows);
        Add("", "rows_with_actual", report.Window?.RowsWithActual);
        Add("", "dataset_drift", drift.DatasetDrift ? 1 : 0);
        Add("", "drift_share", drift.DriftShare);
        Add("", "drifted_features", drift.DriftedFeatures);
        foreach (var (name, value) in report.Quality?.Current ?? new Dictionary<string, double>())
        {
            Add("", name, value);
        }

        if (report.PerformanceEstimate is { } estimate)
        {
            Add("", "estimated_accuracy", estimate.EstimatedAccuracy);
            Add("", "realized_accuracy", estimate.RealizedAccuracy);
        }

        foreach (var (feature, role) in new[] { (report.PredictionDrift, "prediction_drift"), (report.TargetDrift, "target_drift") })
        {
            if (feature is not null)
            {
                Add("", role, feature.Drifted ? 1 : 0);
                Add("", role + "_statistic", feature.Statistic);
            }
        }

        foreach (var f in drift.Features.Concat(new[] { report.PredictionDrift, report.TargetDrift }.OfType<FeatureDrift>()))
        {
            Add(f.Name, "statistic", f.Statistic);
            if (f.Statistic is not null)
            {
                Add(f.Name, "drifted", f.Drifted ? 1 : 0);
            }

            Add(f.Name, "psi", f.Psi);
            Add(f.Name, "jensen_shannon", f.JensenShannon);
            Add(f.Name, "ks_statistic", f.KsStatistic);
            Add(f.Name, "ks_p_value", f.KsPValue);
            Add(f.Name, "wasserstein_normed", f.WassersteinNormed);
            Add(f.Name, "chi_square_p_value", f.ChiSquarePValue);
        }

        foreach (var q in report.DataQuality ?? [])
        {
            Add(q.Name, "missing_share", q.CurrentMissingShare);
            Add(q.Name, "out_of_range_share", q.OutOfRangeShare);
            Add(q.Name, "new_categories", q.NewCategories);
            Add(q.Name, "type_mismatch", q.TypeMismatch ? 1 : 0);
            Add(q.Name, "type_errors", q.TypeErrors);
        }

        return points;
    }
}

using Keel.Monitoring.Drift;
using Keel.Monitoring.Monitors;
using Keel.Monitoring.Reports;
using Keel.Server.Serving;
using Prometheus;

namespace Keel.Server.Monitoring;

/// <summary>
/// Each monitor's latest window as Prometheus gauges on the server's /metrics: dataset drift and
/// drift share, per feature the deciding statistic, its verdict and the missing share, quality
/// metrics (realised and estimated), rows and the window's end time.
/// </summary>
public sealed class MonitorGauges
{
    private readonly Gauge _datasetDrift;
    private readonly Gauge _driftShare;
    private readonly Gauge _rows;
    private readonly Gauge _windowEnd;
    private readonly Gauge _featureStatistic;
    private readonly Gauge _featureDrifted;
    private readonly Gauge _featureMissing;
    private readonly Gauge _quality;

    public MonitorGauges(ServingMetrics metrics)
    {
        var factory = Metrics.WithCustomRegistry(metrics.Registry);
        string[] monitorLabels = ["monitor", "deployment"];
        _datasetDrift = factory.CreateGauge("keel_monitor_dataset_drift", "1 when the monitor's latest window found dataset drift, else 0.", monitorLabels);
        _driftShare = factory.CreateGauge("keel_monitor_drift_share", "Share of the monitored features that drifted in the latest window.", monitorLabels);
        _rows = factory.CreateGauge("keel_monitor_window_rows", "Rows (scored inputs) in the monitor's latest window.", monitorLabels);
        _windowEnd = factory.CreateGauge("keel_monitor_window_end_timestamp_seconds", "End of the monitor's latest window (Unix seconds).", monitorLabels);
        _featureStatistic = factory.CreateGauge("keel_monitor_feature_drift_statistic", "The deciding drift statistic per feature (p-value for ks and chi_square, distance otherwise).",
            ["monitor", "deployment", "feature", "method"]);
        _featureDrifted = factory.CreateGauge("keel_monitor_feature_drifted", "1 when the feature drifted in the latest window.", ["monitor", "deployment", "feature"]);
        _featureMissing = factory.CreateGauge("keel_monitor_feature_missing_share", "Share of missing values per feature in the latest window.", ["monitor", "deployment", "feature"]);
        _quality = factory.CreateGauge("keel_monitor_quality", "Model quality in the latest window: realised metrics once feedback arrived, estimated_accuracy from probabilities.",
            ["monitor", "deployment", "metric"]);
    }

    public void Record(MonitorView monitor, MonitoringReport report)
    {
        string name = monitor.Name, deployment = monitor.Deployment;
        var drift = report.DataDrift;
        _datasetDrift.WithLabels(name, deployment).Set(drift.DatasetDrift ? 1 : 0);
        _driftShare.WithLabels(name, deployment).Set(drift.DriftShare);
        _rows.WithLabels(name, deployment).Set(report.Window?.Rows ?? drift.CurrentRows);
        if (report.Window is { } window)
        {
            _windowEnd.WithLabels(name, deployment).Set(window.End / 1000.0);
        }

        foreach (var f in drift.Features.Concat(new[] { report.PredictionDrift, report.TargetDrift }.OfType<FeatureDrift>()))
        {
            if (f.Statistic is { } statistic)
            {
                _featureStatistic.WithLabels(name, deployment, f.Name, f.Method).Set(statistic);
                _featureDrifted.WithLabels(name, deployment, f.Name).Set(f.Drifted ? 1 : 0);
            }
        }

        foreach (var q in report.DataQuality ?? [])
        {
            if (q.CurrentMissingShare is { } missing)
            {
                _featureMissing.WithLabels(name, deployment, q.Name).Set(missing);
            }
        }

        foreach (var (metric, value) in report.Quality?.Current ?? new Dictionary<string, double>())
        {
            _quality.WithLabels(name, deployment, metric).Set(value);
        }

        if (report.PerformanceEstimate is { } estimate)
        {
            _quality.WithLabels(name, deployment, "estimated_accuracy").Set(estimate.EstimatedAccuracy);
        }
    }
}

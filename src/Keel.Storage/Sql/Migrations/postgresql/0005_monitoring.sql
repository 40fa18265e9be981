-- Monitoring (issue 7): ground truth that arrives after the prediction, monitors, their windows'
-- results and the metric time series those results are read as.
CREATE TABLE inference_feedback (
    request_id TEXT NOT NULL PRIMARY KEY,
    deployment TEXT NOT NULL,
    actual TEXT NOT NULL,
    time BIGINT NOT NULL
);

CREATE INDEX inference_feedback_deployment ON inference_feedback (deployment, time);

CREATE TABLE monitors (
    name TEXT NOT NULL PRIMARY KEY,
    deployment TEXT NOT NULL,
    spec TEXT NOT NULL,
    creation_time BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    last_run_time BIGINT
);

CREATE TABLE monitor_results (
    monitor TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    window_end BIGINT NOT NULL,
    computed_time BIGINT NOT NULL,
    row_count BIGINT NOT NULL,
    dataset_drift INTEGER NOT NULL,
    report TEXT NOT NULL,
    PRIMARY KEY (monitor, window_end)
);

CREATE TABLE monitor_metrics (
    monitor TEXT NOT NULL,
    feature TEXT NOT NULL,
    metric TEXT NOT NULL,
    window_end BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (monitor, feature, metric, window_end)
);

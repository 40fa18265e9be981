-- Tracking schema, modelled on MLflow's SQL store so behaviour (and data) map one to one.
CREATE TABLE experiments (
    experiment_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    artifact_location TEXT NOT NULL,
    lifecycle_stage TEXT NOT NULL,
    creation_time INTEGER NOT NULL,
    last_update_time INTEGER NOT NULL
);

CREATE TABLE experiment_tags (
    experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (experiment_id, key)
) WITHOUT ROWID;

CREATE TABLE runs (
    run_uuid TEXT NOT NULL PRIMARY KEY,
    name TEXT,
    experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id),
    user_id TEXT,
    status TEXT NOT NULL,
    start_time INTEGER,
    end_time INTEGER,
    deleted_time INTEGER,
    artifact_uri TEXT NOT NULL,
    lifecycle_stage TEXT NOT NULL
);

CREATE INDEX runs_experiment_start ON runs (experiment_id, start_time DESC, run_uuid);

CREATE TABLE params (
    run_uuid TEXT NOT NULL REFERENCES runs (run_uuid),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_uuid, key)
) WITHOUT ROWID;

CREATE INDEX params_key_value ON params (key, value);

CREATE TABLE tags (
    run_uuid TEXT NOT NULL REFERENCES runs (run_uuid),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_uuid, key)
) WITHOUT ROWID;

-- Every point; the primary key both orders a history read and drops exact duplicates.
CREATE TABLE metrics (
    run_uuid TEXT NOT NULL,
    key TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    step INTEGER NOT NULL,
    value REAL NOT NULL,
    is_nan INTEGER NOT NULL,
    PRIMARY KEY (run_uuid, key, timestamp, step, value, is_nan)
) WITHOUT ROWID;

-- The point with the greatest (step, timestamp, value) per run and key: what search and run.data use.
CREATE TABLE latest_metrics (
    run_uuid TEXT NOT NULL,
    key TEXT NOT NULL,
    value REAL NOT NULL,
    timestamp INTEGER NOT NULL,
    step INTEGER NOT NULL,
    is_nan INTEGER NOT NULL,
    PRIMARY KEY (run_uuid, key)
) WITHOUT ROWID;

CREATE TABLE datasets (
    dataset_uuid TEXT NOT NULL PRIMARY KEY,
    experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id),
    name TEXT NOT NULL,
    digest TEXT NOT NULL,
    dataset_source_type TEXT NOT NULL,
    dataset_source TEXT NOT NULL,
    dataset_schema TEXT,
    dataset_profile TEXT,
    UNIQUE (experiment_id, name, digest)
);

CREATE TABLE inputs (
    input_uuid TEXT NOT NULL PRIMARY KEY,
    source_type TEXT NOT NULL,
    source_id TEXT NOT NULL,
    destination_type TEXT NOT NULL,
    destination_id TEXT NOT NULL,
    UNIQUE (source_type, source_id, destination_type, destination_id)
);

CREATE INDEX inputs_destination ON inputs (destination_type, destination_id);

CREATE TABLE input_tags (
    input_uuid TEXT NOT NULL REFERENCES inputs (input_uuid),
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (input_uuid, name)
) WITHOUT ROWID;

-- Deployments (issue 5): the current state per name, every revision, and recorded decisions.
CREATE TABLE deployments (
    name TEXT NOT NULL PRIMARY KEY,
    description TEXT,
    revision INTEGER NOT NULL,
    spec TEXT NOT NULL,
    rollout TEXT,
    creation_time INTEGER NOT NULL,
    last_updated_time INTEGER NOT NULL
);

CREATE TABLE deployment_revisions (
    name TEXT NOT NULL,
    revision INTEGER NOT NULL,
    spec TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT,
    user_id TEXT,
    time INTEGER NOT NULL,
    versions TEXT NOT NULL,
    PRIMARY KEY (name, revision)
) WITHOUT ROWID;

CREATE TABLE deployment_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    time INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL
);

CREATE INDEX deployment_events_name ON deployment_events (name, id);

-- The inference log: one row per scored request (live or shadow), written in batches off the
-- request path; monitoring reads windows by (deployment, time) and joins feedback by request_id.
CREATE TABLE inference_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL,
    deployment TEXT NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    route TEXT NOT NULL,
    shadow INTEGER NOT NULL,
    time INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    status INTEGER NOT NULL,
    error TEXT,
    inputs TEXT,
    outputs TEXT
);

CREATE INDEX inference_log_deployment_time ON inference_log (deployment, time);
CREATE INDEX inference_log_request ON inference_log (request_id);

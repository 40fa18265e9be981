-- Model registry, modelled on MLflow's SQL store (reference §3). No foreign keys: a rename or a
-- delete updates every table in one transaction, the same way on both dialects.
CREATE TABLE registered_models (
    name TEXT NOT NULL PRIMARY KEY,
    creation_time INTEGER NOT NULL,
    last_updated_time INTEGER NOT NULL,
    description TEXT
);

CREATE INDEX registered_models_updated ON registered_models (last_updated_time, name);

CREATE TABLE registered_model_tags (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (name, key)
) WITHOUT ROWID;

CREATE INDEX registered_model_tags_key_value ON registered_model_tags (key, value);

-- Soft-deleted versions stay (stage Deleted_Internal) so numbers are never reused.
CREATE TABLE model_versions (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    creation_time INTEGER NOT NULL,
    last_updated_time INTEGER NOT NULL,
    description TEXT,
    user_id TEXT,
    current_stage TEXT NOT NULL,
    source TEXT NOT NULL,
    storage_location TEXT,
    run_id TEXT,
    run_link TEXT,
    status TEXT NOT NULL,
    status_message TEXT,
    PRIMARY KEY (name, version)
) WITHOUT ROWID;

CREATE INDEX model_versions_stage ON model_versions (name, current_stage, version);
-- Serves the default model-versions/search order: last_updated_timestamp DESC, name ASC, version DESC.
CREATE INDEX model_versions_updated ON model_versions (last_updated_time DESC, name, version DESC);
CREATE INDEX model_versions_run ON model_versions (run_id);

CREATE TABLE model_version_tags (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (name, version, key)
) WITHOUT ROWID;

CREATE INDEX model_version_tags_key_value ON model_version_tags (key, value);

CREATE TABLE registered_model_aliases (
    name TEXT NOT NULL,
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (name, alias)
) WITHOUT ROWID;

-- Beyond MLflow: every alias move and stage transition (mlflow#2169).
CREATE TABLE registry_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    old_version INTEGER,
    new_version INTEGER,
    previous_stage TEXT,
    timestamp INTEGER NOT NULL,
    user_id TEXT
);

CREATE INDEX registry_history_name ON registry_history (name, id);

-- Dataset versioning (issue 6). MLflow's own "datasets" table (run inputs) is another thing:
-- these are Keel's versioned datasets. Chunk bytes and manifests live in the artifact store.
CREATE TABLE versioned_datasets (
    name TEXT NOT NULL PRIMARY KEY,
    description TEXT,
    creation_time INTEGER NOT NULL,
    last_updated_time INTEGER NOT NULL
);

CREATE TABLE dataset_versions (
    dataset TEXT NOT NULL,
    id TEXT NOT NULL,
    number INTEGER NOT NULL,
    message TEXT,
    author TEXT,
    creation_time INTEGER NOT NULL,
    size_bytes INTEGER NOT NULL,
    file_count INTEGER NOT NULL,
    row_count INTEGER,
    schema_json TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dataset, id),
    UNIQUE (dataset, number)
);

CREATE INDEX dataset_versions_id ON dataset_versions (id);

-- Every chunk the store holds; claimed_time is the last time an add said it would reference it.
CREATE TABLE dataset_chunks (
    hash TEXT NOT NULL PRIMARY KEY,
    size INTEGER NOT NULL,
    claimed_time INTEGER NOT NULL
);

-- Which chunks each version references (garbage collection's liveness, in SQL).
CREATE TABLE dataset_version_chunks (
    dataset TEXT NOT NULL,
    version_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (dataset, version_id, hash)
);

CREATE INDEX dataset_version_chunks_hash ON dataset_version_chunks (hash);

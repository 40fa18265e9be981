-- The inference log as segments (issue 5): one row per batch of records that share deployment,
-- model version, route and role, the records themselves a JSON array in one BLOB, instead of a
-- row per record with two indexes (three B-tree inserts and ~380 bytes of WAL per record, the
-- largest cost of a logged request). Live records' request ids are indexed for feedback.
CREATE TABLE inference_segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    deployment TEXT NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    route TEXT NOT NULL,
    shadow INTEGER NOT NULL,
    first_time INTEGER NOT NULL,
    last_time INTEGER NOT NULL,
    record_count INTEGER NOT NULL,
    records BLOB NOT NULL
);

CREATE INDEX inference_segments_deployment_time ON inference_segments (deployment, last_time);

CREATE TABLE inference_requests (
    request_id TEXT NOT NULL,
    segment INTEGER NOT NULL,
    PRIMARY KEY (request_id, segment)
) WITHOUT ROWID;

-- Records logged before this version: a segment of one record each, payloads kept as text.
INSERT INTO inference_segments (id, deployment, model_name, model_version, route, shadow, first_time, last_time, record_count, records)
SELECT id, deployment, model_name, model_version, route, shadow, time, time, 1,
       CAST(json_array(json_object('request_id', request_id, 'time', time, 'latency_ms', latency_ms, 'status', status,
           'error', error, 'inputs_text', inputs, 'outputs_text', outputs)) AS BLOB)
FROM inference_log;

INSERT OR IGNORE INTO inference_requests (request_id, segment) SELECT request_id, id FROM inference_log WHERE shadow = 0;

DROP TABLE inference_log;

-- Alert rules over monitor series and serving figures (issue 7): the rule with its evaluation
-- state, the events it raised (firing, resolved) and the webhook deliveries of those events.
CREATE TABLE alert_rules (
    name TEXT NOT NULL PRIMARY KEY,
    spec TEXT NOT NULL,
    state TEXT NOT NULL,
    state_since INTEGER,
    last_value REAL,
    last_evaluated INTEGER,
    creation_time INTEGER NOT NULL,
    last_updated_time INTEGER NOT NULL
);

CREATE TABLE alert_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule TEXT NOT NULL,
    kind TEXT NOT NULL,
    time INTEGER NOT NULL,
    value REAL,
    severity TEXT NOT NULL,
    message TEXT NOT NULL,
    action TEXT
);

CREATE INDEX alert_events_rule ON alert_events (rule, id);

CREATE TABLE alert_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id INTEGER NOT NULL,
    url TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    http_status INTEGER,
    error TEXT,
    time INTEGER NOT NULL
);

CREATE INDEX alert_deliveries_event ON alert_deliveries (event_id);

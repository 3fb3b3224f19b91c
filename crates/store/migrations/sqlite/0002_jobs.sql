-- The durable job queue and its recurring schedules (SQLite twin of migrations/postgres).
-- Same tables, columns and indexes; UUID -> BLOB and BIGINT -> INTEGER.

CREATE TABLE jobs (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    unique_key TEXT,
    status TEXT NOT NULL DEFAULT 'queued',
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 5,
    last_error TEXT,
    locked_by TEXT,
    locked_until INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    finished_at INTEGER,
    CONSTRAINT jobs_status_check CHECK (status IN ('queued', 'running', 'done', 'dead', 'cancelled'))
);
CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key);
CREATE INDEX jobs_claim_idx ON jobs (status, run_at);
CREATE INDEX jobs_lease_idx ON jobs (status, locked_until);
CREATE INDEX jobs_created_idx ON jobs (created_at, id);

CREATE TABLE job_schedules (
    name TEXT PRIMARY KEY,
    cron TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    next_run_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The durable job queue and its recurring schedules.
-- A job is claimed by a worker for a lease (locked_by, locked_until); a lease that runs out means
-- the worker died and the job is queued again. unique_key (nullable; NULLs never conflict) makes
-- "enqueue this reminder" idempotent: the second enqueue of a key does nothing.

CREATE TABLE jobs (
    id UUID PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    unique_key TEXT,
    status TEXT NOT NULL DEFAULT 'queued',
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 5,
    last_error TEXT,
    locked_by TEXT,
    locked_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT,
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
    next_run_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

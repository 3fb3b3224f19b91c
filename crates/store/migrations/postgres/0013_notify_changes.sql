-- A change counter for real-time wake-ups across processes on SQLite: a separate `moim worker`
-- cannot reach the in-memory hub of `moim serve`, so every SQLite transaction that creates
-- notifications bumps `seq` (free: SQLite writers are serialised anyway) and `moim serve` polls
-- it. PostgreSQL has the table so that both schemas stay alike, but never writes it: there the
-- wake-up travels by LISTEN/NOTIFY or Redis, and a hot row would serialise notifying
-- transactions.
CREATE TABLE notify_changes (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL
);
INSERT INTO notify_changes (id, seq) VALUES (1, 0);

-- Recurring reminders are schedules too, so there can be many: the runner's once-a-second
-- look for due occurrences reads only those (`next_run_at <= now`).
CREATE INDEX job_schedules_due_idx ON job_schedules (next_run_at);

-- Real-time wake-ups across processes on SQLite, and due schedules found by index
-- (SQLite twin of migrations/postgres; UUID -> BLOB and BIGINT -> INTEGER).

CREATE TABLE notify_changes (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL
);
INSERT INTO notify_changes (id, seq) VALUES (1, 0);

CREATE INDEX job_schedules_due_idx ON job_schedules (next_run_at);

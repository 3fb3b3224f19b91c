-- Notifications and channel preferences (SQLite twin of migrations/postgres).
-- Same tables, columns and indexes; UUID -> BLOB and BIGINT -> INTEGER.

CREATE TABLE notifications (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    link TEXT NOT NULL,
    group_id BLOB REFERENCES groups (id) ON DELETE SET NULL,
    actor_id BLOB REFERENCES users (id) ON DELETE SET NULL,
    dedupe_key TEXT,
    read_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX notifications_dedupe_key ON notifications (dedupe_key);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at, id);
CREATE INDEX notifications_unread_idx ON notifications (user_id, read_at);
CREATE INDEX notifications_created_idx ON notifications (created_at);

CREATE TABLE notification_prefs (
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    channel TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, category, channel)
);

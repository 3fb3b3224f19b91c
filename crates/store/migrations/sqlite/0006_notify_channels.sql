-- Web Push subscriptions and SMS numbers (SQLite twin of migrations/postgres).
-- Same tables, columns and indexes; UUID -> BLOB and BIGINT -> INTEGER.

CREATE TABLE push_subscriptions (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint TEXT NOT NULL,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX push_subscriptions_endpoint ON push_subscriptions (endpoint);
CREATE INDEX push_subscriptions_user_idx ON push_subscriptions (user_id);

CREATE TABLE notification_phones (
    user_id BLOB PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    phone TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

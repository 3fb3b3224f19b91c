-- Notifications: the in-app rows every channel starts from, and each user's channel preferences.
-- Title and body are not stored: `kind` + `params` are rendered in the reader's language when
-- shown or sent. `dedupe_key` (nullable; NULLs never conflict) makes a re-run of the job that
-- delivers a reminder harmless: the second insert of the same key does nothing.

CREATE TABLE notifications (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    link TEXT NOT NULL,
    group_id UUID REFERENCES groups (id) ON DELETE SET NULL,
    actor_id UUID REFERENCES users (id) ON DELETE SET NULL,
    dedupe_key TEXT,
    read_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX notifications_dedupe_key ON notifications (dedupe_key);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at, id);
CREATE INDEX notifications_unread_idx ON notifications (user_id, read_at);
CREATE INDEX notifications_created_idx ON notifications (created_at);

-- A missing row means the default (on). In-app is always on and never stored here.
CREATE TABLE notification_prefs (
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    channel TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, category, channel)
);

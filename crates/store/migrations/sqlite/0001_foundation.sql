-- Accounts, sessions, tokens, groups and memberships (SQLite twin of migrations/postgres).
-- Same tables, columns, indexes and constraints; types map UUID/BYTEA -> BLOB and BIGINT -> INTEGER,
-- which decode into the same Rust types (Uuid, Vec<u8>, i64).
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id BLOB PRIMARY KEY,
    email TEXT NOT NULL,
    email_verified_at INTEGER,
    password_hash TEXT NOT NULL,
    nickname TEXT NOT NULL,
    nickname_key TEXT NOT NULL,
    bio TEXT NOT NULL DEFAULT '',
    avatar_url TEXT,
    locale TEXT NOT NULL DEFAULT 'ko',
    time_zone TEXT NOT NULL DEFAULT 'Asia/Seoul',
    session_epoch INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE UNIQUE INDEX users_nickname_key ON users (nickname_key);

CREATE TABLE email_codes (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    secret_hash BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX email_codes_user_idx ON email_codes (user_id, purpose);
CREATE UNIQUE INDEX email_codes_secret_key ON email_codes (secret_hash);

CREATE TABLE sessions (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash BLOB NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX sessions_token_key ON sessions (token_hash);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE refresh_tokens (
    id BLOB PRIMARY KEY,
    family_id BLOB NOT NULL,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    revoked_at INTEGER
);
CREATE UNIQUE INDEX refresh_tokens_token_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    hits INTEGER NOT NULL
);

CREATE TABLE groups (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    pledge TEXT NOT NULL DEFAULT '',
    image_url TEXT,
    visibility TEXT NOT NULL,
    join_policy TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    member_count INTEGER NOT NULL DEFAULT 0,
    rejoin_allowed BOOLEAN NOT NULL DEFAULT TRUE,
    starts_on TEXT,
    ends_on TEXT,
    time_zone TEXT NOT NULL DEFAULT 'Asia/Seoul',
    invite_code TEXT NOT NULL,
    owner_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    disband_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT groups_capacity_check CHECK (member_count <= capacity)
);
CREATE UNIQUE INDEX groups_invite_code_key ON groups (invite_code);
CREATE INDEX groups_owner_idx ON groups (owner_id);
CREATE INDEX groups_disband_idx ON groups (disband_at);

CREATE TABLE memberships (
    group_id BLOB NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id, joined_at);
CREATE INDEX memberships_group_idx ON memberships (group_id, status, joined_at);

CREATE TABLE group_departures (
    group_id BLOB NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

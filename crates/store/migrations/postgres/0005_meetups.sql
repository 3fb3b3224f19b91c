-- Media uploads and meetups (PostgreSQL twin of migrations/sqlite/0005_meetups.sql).

-- One row per distinct upload. Objects live in the object store under `<hash>/<variant>`; the
-- hash is the SHA-256 of the uploaded bytes, so a URL never changes meaning and can be cached
-- forever.
CREATE TABLE media (
    hash TEXT PRIMARY KEY,
    owner_id UUID REFERENCES users (id) ON DELETE SET NULL,
    source_format TEXT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    -- comma-separated variant names, e.g. "w384,w758,full"
    variants TEXT NOT NULL,
    -- comma-separated content types, same order as `variants`
    content_types TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE meetups (
    id UUID PRIMARY KEY,
    host_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id UUID REFERENCES groups (id) ON DELETE CASCADE,
    -- inside a group: members only unless public
    is_public BOOLEAN NOT NULL DEFAULT TRUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    starts_at BIGINT NOT NULL,
    time_zone TEXT NOT NULL,
    -- local start hour (0-23), stored for the time-of-day filter
    start_hour BIGINT NOT NULL,
    address TEXT NOT NULL,
    region BIGINT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lng DOUBLE PRECISION NOT NULL,
    -- JSON list of [lat, lng] points, '[]' when no route was drawn
    route TEXT NOT NULL DEFAULT '[]',
    distance_m BIGINT NOT NULL DEFAULT 0,
    pace TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL DEFAULT '',
    theme TEXT NOT NULL,
    capacity BIGINT NOT NULL,
    participant_count BIGINT NOT NULL DEFAULT 1,
    waitlist BOOLEAN NOT NULL DEFAULT FALSE,
    approval BOOLEAN NOT NULL DEFAULT FALSE,
    -- comma-separated media hashes (at most 3)
    images TEXT NOT NULL DEFAULT '',
    parking TEXT NOT NULL DEFAULT '',
    baggage TEXT NOT NULL DEFAULT '',
    chat_link TEXT NOT NULL DEFAULT '',
    attendance_at BIGINT,
    cancelled_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT meetups_capacity_check CHECK (capacity BETWEEN 2 AND 20),
    CONSTRAINT meetups_count_check CHECK (participant_count BETWEEN 0 AND capacity)
);
CREATE INDEX meetups_starts_idx ON meetups (starts_at, id);
CREATE INDEX meetups_created_idx ON meetups (created_at, id);
CREATE INDEX meetups_host_idx ON meetups (host_id, starts_at);
CREATE INDEX meetups_region_idx ON meetups (region, starts_at);
CREATE INDEX meetups_lat_idx ON meetups (lat, lng);

-- One row per person and meetup: joined (counted), waitlisted or pending approval.
CREATE TABLE meetup_participants (
    meetup_id UUID NOT NULL REFERENCES meetups (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    applied_at BIGINT NOT NULL,
    -- NULL until the host submits attendance
    attended BOOLEAN,
    PRIMARY KEY (meetup_id, user_id)
);
CREATE INDEX meetup_participants_user_idx ON meetup_participants (user_id, status);

-- A participant's rating of the host: once per meetup (the primary key).
CREATE TABLE meetup_ratings (
    meetup_id UUID NOT NULL REFERENCES meetups (id) ON DELETE CASCADE,
    rater_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    host_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (meetup_id, rater_id),
    CONSTRAINT meetup_ratings_reason_check CHECK (reason BETWEEN 1 AND 10)
);
CREATE INDEX meetup_ratings_host_idx ON meetup_ratings (host_id);

-- "For me": the region (1-9, 0 = anywhere) and distance band (1-4, 0 = any) a user prefers.
CREATE TABLE meetup_preferences (
    user_id UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    region BIGINT NOT NULL DEFAULT 0,
    distance_band BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

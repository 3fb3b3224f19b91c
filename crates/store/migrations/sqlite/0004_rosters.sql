-- Rosters (issue 4; SQLite twin of migrations/postgres). A group's roster setup is one JSON document (shift types, conditions, leave,
-- requests, holidays) edited under an optimistic version; rosters keep their engine model snapshot
-- and cells as JSON, with a version column so concurrent edits cannot overwrite each other.
CREATE TABLE roster_setups (
    group_id BLOB PRIMARY KEY REFERENCES groups(id) ON DELETE CASCADE,
    setup TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE rosters (
    id BLOB PRIMARY KEY,
    group_id BLOB NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    days INTEGER NOT NULL,
    -- generating, ready, failed
    status TEXT NOT NULL,
    built TEXT NOT NULL,
    cells TEXT NOT NULL,
    locks TEXT NOT NULL,
    published_cells TEXT,
    published_at INTEGER,
    progress TEXT NOT NULL,
    result TEXT,
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    share_token TEXT,
    version INTEGER NOT NULL,
    created_by BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX rosters_group_idx ON rosters (group_id, created_at);
CREATE UNIQUE INDEX rosters_share_token_key ON rosters (share_token);

-- Undo history: the cells and locks before each edit.
CREATE TABLE roster_history (
    roster_id BLOB NOT NULL REFERENCES rosters(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    cells TEXT NOT NULL,
    locks TEXT NOT NULL,
    PRIMARY KEY (roster_id, seq)
);

CREATE TABLE roster_swaps (
    id BLOB PRIMARY KEY,
    roster_id BLOB NOT NULL REFERENCES rosters(id) ON DELETE CASCADE,
    requester BLOB NOT NULL,
    day INTEGER NOT NULL,
    -- the other member (NULL = offered to anyone)
    target BLOB,
    -- the target's day given in exchange (NULL = a plain hand-over)
    target_day INTEGER,
    -- pending, accepted (awaiting approval), applied, declined, cancelled
    status TEXT NOT NULL,
    accepted_by BLOB,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX roster_swaps_roster_idx ON roster_swaps (roster_id, created_at);

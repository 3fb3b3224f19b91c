-- Rosters (issue 4). A group's roster setup is one JSON document (shift types, conditions, leave,
-- requests, holidays) edited under an optimistic version; rosters keep their engine model snapshot
-- and cells as JSON, with a version column so concurrent edits cannot overwrite each other.
CREATE TABLE roster_setups (
    group_id UUID PRIMARY KEY REFERENCES groups(id) ON DELETE CASCADE,
    setup TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE rosters (
    id UUID PRIMARY KEY,
    group_id UUID NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    days BIGINT NOT NULL,
    -- generating, ready, failed
    status TEXT NOT NULL,
    built TEXT NOT NULL,
    cells TEXT NOT NULL,
    locks TEXT NOT NULL,
    published_cells TEXT,
    published_at BIGINT,
    progress TEXT NOT NULL,
    result TEXT,
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    share_token TEXT,
    version BIGINT NOT NULL,
    created_by UUID NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX rosters_group_idx ON rosters (group_id, created_at);
CREATE UNIQUE INDEX rosters_share_token_key ON rosters (share_token);

-- Undo history: the cells and locks before each edit.
CREATE TABLE roster_history (
    roster_id UUID NOT NULL REFERENCES rosters(id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    cells TEXT NOT NULL,
    locks TEXT NOT NULL,
    PRIMARY KEY (roster_id, seq)
);

CREATE TABLE roster_swaps (
    id UUID PRIMARY KEY,
    roster_id UUID NOT NULL REFERENCES rosters(id) ON DELETE CASCADE,
    requester UUID NOT NULL,
    day BIGINT NOT NULL,
    -- the other member (NULL = offered to anyone)
    target UUID,
    -- the target's day given in exchange (NULL = a plain hand-over)
    target_day BIGINT,
    -- pending, accepted (awaiting approval), applied, declined, cancelled
    status TEXT NOT NULL,
    accepted_by UUID,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX roster_swaps_roster_idx ON roster_swaps (roster_id, created_at);

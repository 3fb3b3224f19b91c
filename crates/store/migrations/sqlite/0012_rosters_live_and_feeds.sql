-- Rosters (issue 4), SQLite twin of migrations/postgres.
-- live_cells: the best complete roster a running generation has found so far (shown while the
-- solver keeps searching); live_seq counts how often it changed, so a progress stream can tell
-- its clients "a new roster is ready". Cleared when the generation finishes.
ALTER TABLE rosters ADD COLUMN live_cells TEXT;
ALTER TABLE rosters ADD COLUMN live_seq INTEGER NOT NULL DEFAULT 0;

-- Personal calendar feeds: one unguessable token per member and group (calendar apps cannot
-- sign in). Rotating replaces the token; a removed member's token stops working because the
-- feed also requires an active membership that began before the token was made.
CREATE TABLE roster_feeds (
    group_id BLOB NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE UNIQUE INDEX roster_feeds_token_key ON roster_feeds (token);

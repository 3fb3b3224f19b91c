-- Meetup duration and the comment repeat guard (SQLite twin of
-- migrations/postgres/0014_meetups_duration.sql).

-- How long a meetup lasts, in minutes (15 min to 24 h). Its end (start + duration) drives the
-- "how was it?" reminder, the rating window and the iCal event. Meetups hosted before this
-- column existed were taken to last two hours, so that is their value.
ALTER TABLE meetups ADD COLUMN duration_min INTEGER NOT NULL DEFAULT 120
    CONSTRAINT meetups_duration_check CHECK (duration_min BETWEEN 15 AND 1440);

-- The last comment each user posted: a conditional upsert of this row in the commenting
-- transaction refuses the same text again within a few seconds, however many requests arrive
-- together (see store::comments::create).
CREATE TABLE comment_repeat_guard (
    user_id BLOB PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    posted_at INTEGER NOT NULL
);

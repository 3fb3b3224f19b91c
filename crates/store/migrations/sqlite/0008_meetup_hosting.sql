-- Anti-double-post (SQLite twin of migrations/postgres/0008_meetup_hosting.sql): when each host
-- last hosted a meetup. Creating a meetup claims the row with a conditional upsert in the same
-- transaction as the insert, so one host cannot create two meetups within 10 seconds, however
-- many requests arrive together.
CREATE TABLE meetup_host_throttle (
    host_id BLOB PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_created_at INTEGER NOT NULL
);

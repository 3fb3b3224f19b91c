-- Anti-double-post: when each host last hosted a meetup. Creating a meetup claims the row with a
-- conditional upsert in the same transaction as the insert, so one host cannot create two
-- meetups within 10 seconds, however many requests arrive together.
CREATE TABLE meetup_host_throttle (
    host_id UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_created_at BIGINT NOT NULL
);

-- The meetup list's index (see store::meetups::list and bench/meetups). It leads with the time
-- window and the soonest order (starts_at, id), then carries every column a filter compares
-- directly, so a page is found by reading index entries only: SQLite checks those terms before
-- it fetches a row (deferred seek), PostgreSQL as index conditions before visiting the heap.
-- It replaces meetups_starts_idx, of which it is an extension.
CREATE INDEX meetups_list_idx ON meetups (
    starts_at, id, lat, lng, start_hour, distance_m, theme, region, level, cancelled_at,
    participant_count, capacity, waitlist, is_public
);
DROP INDEX meetups_starts_idx;

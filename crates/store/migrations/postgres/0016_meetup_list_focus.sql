-- The meetup list's second index (see store::meetups::list and bench/meetups): a narrow search
-- (a few themes at a few times of day, near a point or up to a date) reads, for each chosen
-- (theme, start hour) pair, that pair's part of the time window in start order, with the
-- box, the distance band and "not cancelled" as index conditions, so only rows that pass them
-- are fetched. The SQLite twin also carries the columns of the other filters, which SQLite
-- checks on index entries; PostgreSQL would check them only after fetching the row anyway.
CREATE INDEX meetups_list_focus_idx ON meetups (
    theme, start_hour, starts_at, lat, lng, distance_m, cancelled_at
);
-- The generic plan of the prepared list query guessed a lat/lng range to be very selective
-- and walked this index, fetching tens of thousands of rows per request (p99 375 ms in
-- bench/meetups); the list indexes check the box on their entries instead.
DROP INDEX meetups_lat_idx;

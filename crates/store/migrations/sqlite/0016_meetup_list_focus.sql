-- The meetup list's second index (see store::meetups::list and bench/meetups): a narrow search
-- (a few themes at a few times of day, near a point or up to a date) seeks each chosen
-- (theme, start hour) pair and reads only that pair's part of the time window, checking the
-- other filters on the index entries (SQLite tests terms on index columns before it fetches
-- a row). The PostgreSQL twin keeps only the columns it uses as index conditions.
CREATE INDEX meetups_list_focus_idx ON meetups (
    theme, start_hour, starts_at, lat, lng, distance_m, cancelled_at, region, level,
    participant_count, capacity, waitlist, is_public
);
-- A latitude/longitude range alone narrows little (a box around Seoul holds half the
-- meetups), and the planner preferred it to the two list indexes, which check the box on
-- their entries anyway.
DROP INDEX meetups_lat_idx;

-- A recurring reminder that reads its cron expression in its group's zone follows that zone:
-- `zone_group_id` names the group, `time_zone` holds the zone its pending occurrence was
-- computed in (SQLite twin of migrations/postgres; UUID -> BLOB).
ALTER TABLE job_schedules ADD COLUMN zone_group_id BLOB REFERENCES groups (id) ON DELETE CASCADE;
CREATE INDEX job_schedules_zone_group_idx ON job_schedules (zone_group_id);

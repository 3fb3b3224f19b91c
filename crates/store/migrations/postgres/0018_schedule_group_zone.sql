-- A recurring reminder that reads its cron expression in its group's zone follows that zone:
-- `zone_group_id` names the group, `time_zone` holds the zone its pending occurrence was
-- computed in. When the group's zone changes, the pending occurrence is recomputed in the new
-- zone (by the group update, and again by the scheduler should that have been missed).
ALTER TABLE job_schedules ADD COLUMN zone_group_id UUID REFERENCES groups (id) ON DELETE CASCADE;
CREATE INDEX job_schedules_zone_group_idx ON job_schedules (zone_group_id);

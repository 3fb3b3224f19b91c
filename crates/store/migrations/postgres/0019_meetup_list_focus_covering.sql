-- Nothing to change on PostgreSQL. The SQLite twin widens meetups_list_focus_idx so the
-- focused search picks its page from index entries alone; PostgreSQL checks the remaining
-- terms on the few rows its index conditions let through, and an index-only scan would
-- depend on the visibility map. (Migrations come in pairs of the same name.)
SELECT 1;

-- What each undo step records: 'edit' (a hand edit, which undo reverts), 'generate' (a
-- regeneration) or 'swap' (an applied swap). The last two are barriers: undo refuses them
-- instead of rolling back past them to an older hand edit.
ALTER TABLE roster_history ADD COLUMN kind TEXT NOT NULL DEFAULT 'edit';

-- Parzen schema v5: which algorithm proposed a trial (issue 21, `auto`): the
-- experiment's algorithm, or for `auto` the one its rule chose for that trial.
-- '' for enqueued and imported trials and for every trial created before it.
ALTER TABLE trials ADD COLUMN proposed_by TEXT NOT NULL DEFAULT '';

-- Parzen PostgreSQL schema v2: SQLite's 0003 (see migrations/0003_experiment_lifecycle.sql).
-- What UpdateExperiment changes after creation: a user's PAUSE or STOP and the
-- stop conditions as last set, canonical JSON opaque to the store; NULL when
-- never updated.
ALTER TABLE experiments ADD COLUMN lifecycle TEXT;

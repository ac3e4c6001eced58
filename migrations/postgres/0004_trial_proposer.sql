-- Parzen PostgreSQL schema v4: which algorithm proposed a trial, as the SQLite
-- schema's migrations/0005_trial_proposer.sql ('' when none or unrecorded).
ALTER TABLE trials ADD COLUMN proposed_by TEXT NOT NULL DEFAULT '';

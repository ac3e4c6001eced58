-- Parzen schema v3: what UpdateExperiment changes after creation (issue 16),
-- kept beside the definition, which stays as created (a worker's re-create is
-- compared with it). Canonical JSON, opaque to the store: a user's PAUSE or
-- STOP, and the stop conditions as last set (max_trials, max_failed_trials,
-- goal, deadline). NULL: never updated, the definition's stop conditions hold.
ALTER TABLE experiments ADD COLUMN lifecycle TEXT;

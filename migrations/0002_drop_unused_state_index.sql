-- Parzen schema v2. No query reads trials by (experiment_id, state): the
-- server keeps each experiment's history in memory and reads a history
-- whole, by (experiment_id, number). The index only cost a write on every
-- trial insert and state change, the hot path of Suggest and Report.
DROP INDEX IF EXISTS trials_by_experiment_state;

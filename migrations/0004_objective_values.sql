-- Parzen schema v4: several objectives and constraints (issue 20). A trial of
-- a multi-objective experiment keeps its objective values here (loss stays
-- NULL); any trial may carry constraint values (feasible when all are <= 0).
-- JSON arrays of finite numbers; '[]' when none, which every older trial is.
ALTER TABLE trials ADD COLUMN objective_values TEXT NOT NULL DEFAULT '[]';
ALTER TABLE trials ADD COLUMN constraint_values TEXT NOT NULL DEFAULT '[]';

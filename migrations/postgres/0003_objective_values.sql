-- Parzen PostgreSQL schema v3: several objectives and constraints, as the
-- SQLite schema's migrations/0004_objective_values.sql: JSON arrays of the
-- objective values of a multi-objective trial (loss stays NULL) and of the
-- constraint values (feasible when all are <= 0); '[]' when none.
ALTER TABLE trials ADD COLUMN objective_values TEXT NOT NULL DEFAULT '[]';
ALTER TABLE trials ADD COLUMN constraint_values TEXT NOT NULL DEFAULT '[]';

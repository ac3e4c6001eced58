-- Parzen schema v1: experiments and their full trial history.
-- Times are integer milliseconds since the Unix epoch (UTC).

CREATE TABLE experiments (
  id          INTEGER PRIMARY KEY,
  name        TEXT    NOT NULL UNIQUE,
  -- The normalised definition (space, direction, algorithm, pruner, seed,
  -- lease, user attributes) as canonical proto3 JSON of parzen.v1.Experiment;
  -- compared byte for byte to decide whether a re-create is identical.
  definition  TEXT    NOT NULL,
  create_time INTEGER NOT NULL
);

CREATE TABLE trials (
  id             INTEGER PRIMARY KEY,
  experiment_id  INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  number         INTEGER NOT NULL,
  -- parzen.v1.TrialState values: 1 WAITING, 2 RUNNING, 3 COMPLETE, 4 PRUNED, 5 FAIL, 6 LOST.
  state          INTEGER NOT NULL CHECK (state BETWEEN 1 AND 6),
  -- parzen.v1.TrialSource values: 1 ALGORITHM, 2 ENQUEUED, 3 IMPORTED.
  source         INTEGER NOT NULL CHECK (source BETWEEN 1 AND 3),
  -- JSON object: active parameter name -> internal value (natural value for
  -- numbers, option index for choices; the space is immutable per experiment).
  params         TEXT    NOT NULL,
  loss           REAL,
  metrics        TEXT    NOT NULL DEFAULT '{}',
  user_attrs     TEXT    NOT NULL DEFAULT '{}',
  worker_id      TEXT    NOT NULL DEFAULT '',
  fail_reason    TEXT    NOT NULL DEFAULT '',
  create_time    INTEGER NOT NULL,
  start_time     INTEGER,
  end_time       INTEGER,
  lease_deadline INTEGER,
  UNIQUE (experiment_id, number)
);

CREATE INDEX trials_by_experiment_state ON trials (experiment_id, state);

CREATE TABLE intermediate_values (
  trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  step     INTEGER NOT NULL CHECK (step >= 0),
  -- NULL stands for NaN, which SQLite cannot store.
  value    REAL,
  PRIMARY KEY (trial_id, step)
) WITHOUT ROWID;

-- Idempotency keys of Suggest/Report: a retried request returns the stored
-- response instead of acting twice.
CREATE TABLE request_log (
  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  method        TEXT    NOT NULL,
  request_id    TEXT    NOT NULL,
  -- JSON list of the trial ids the original call returned.
  trial_ids     TEXT    NOT NULL,
  create_time   INTEGER NOT NULL,
  PRIMARY KEY (method, request_id)
);

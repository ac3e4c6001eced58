package parzen_test

// Budgets and stop conditions from the Go client, against the real server.

import (
	"context"
	"errors"
	"testing"
	"time"

	parzen "github.com/parzen-hpo/parzen/clients/go"
	parzenv1 "github.com/parzen-hpo/parzen/clients/go/gen/parzen/v1"
)

func TestBudgetEndsWithErrExperimentDone(t *testing.T) {
	c := dial(t)
	ctx := testCtx(t)
	exp := create(t, c, parzen.ExperimentSpec{
		Space: []parzen.Param{parzen.Uniform("x", 0, 1)}, MaxTrials: 2, MaxFailedTrials: 5, Goal: parzen.GoalOf(-1),
	})
	if n, ok := exp.MaxTrials(); !ok || n != 2 {
		t.Fatalf("MaxTrials() = %d, %v", n, ok)
	}
	batch, err := exp.SuggestN(ctx, 5)
	if err != nil || len(batch) != 2 {
		t.Fatalf("SuggestN(5) under a budget of 2: %d trials, %v", len(batch), err)
	}
	for _, tr := range batch {
		if err := tr.Report(ctx, 0.5, nil); err != nil {
			t.Fatal(err)
		}
	}
	_, err = exp.Suggest(ctx)
	if !errors.Is(err, parzen.ErrExperimentDone) {
		t.Fatalf("Suggest after the budget: %v, want ErrExperimentDone", err)
	}
	var done *parzen.ExperimentDoneError
	if !errors.As(err, &done) || done.Reason != parzenv1.CompletionReason_COMPLETION_REASON_BUDGET || done.Experiment != exp.Name() {
		t.Fatalf("the error says %+v", done)
	}
	if err := exp.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if state, reason := exp.State(); state != parzenv1.ExperimentState_EXPERIMENT_STATE_COMPLETED || parzen.ReasonName(reason) != "BUDGET" {
		t.Fatalf("state %v %v", state, reason)
	}
}

func TestGoalEndsTheExperiment(t *testing.T) {
	c := dial(t)
	ctx := testCtx(t)
	exp := create(t, c, parzen.ExperimentSpec{Space: []parzen.Param{parzen.Uniform("x", 0, 1)}, Goal: parzen.GoalOf(0)})
	tr, err := exp.Suggest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Report(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	_, err = exp.Suggest(ctx)
	var done *parzen.ExperimentDoneError
	if !errors.As(err, &done) || done.Reason != parzenv1.CompletionReason_COMPLETION_REASON_GOAL {
		t.Fatalf("Suggest after the goal: %v", err)
	}
}

func TestSuggestWaitsThroughRetryAfterForAReplacement(t *testing.T) {
	c := dial(t)
	ctx := testCtx(t)
	exp := create(t, c, parzen.ExperimentSpec{Space: []parzen.Param{parzen.Uniform("x", 0, 1)}, MaxTrials: 1})
	held, err := exp.Suggest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A short context: the wait ends with it, DEADLINE_EXCEEDED, not a zero trial.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = exp.Suggest(short)
	cancel()
	if !errors.Is(err, parzen.ErrDeadlineExceeded) {
		t.Fatalf("Suggest while the budget is RUNNING: %v, want ErrDeadlineExceeded", err)
	}
	got := make(chan *parzen.Trial, 1)
	errs := make(chan error, 1)
	go func() {
		tr, err := exp.Suggest(ctx)
		errs <- err
		got <- tr
	}()
	if err := held.Fail(ctx, "crashed"); err != nil { // its place goes to the waiting worker
		t.Fatal(err)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if tr := <-got; tr.ID() == held.ID() || tr.State() != parzen.Running {
		t.Fatalf("replacement %s", tr.Summary())
	}
}

func TestPauseResumeStopUpdate(t *testing.T) {
	c := dial(t)
	ctx := testCtx(t)
	exp := create(t, c, parzen.ExperimentSpec{Space: []parzen.Param{parzen.Uniform("x", 0, 1)}, MaxTrials: 1})
	if err := exp.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	if state, _ := exp.State(); state != parzenv1.ExperimentState_EXPERIMENT_STATE_PAUSED {
		t.Fatalf("after Pause: %v", state)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	if _, err := exp.Suggest(short); !errors.Is(err, parzen.ErrDeadlineExceeded) {
		t.Fatalf("Suggest while paused: %v", err)
	}
	cancel()
	if err := exp.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	tr, err := exp.Suggest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Report(ctx, 0.4, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := exp.Suggest(ctx); !errors.Is(err, parzen.ErrExperimentDone) {
		t.Fatalf("Suggest after the budget: %v", err)
	}
	two := int64(2)
	if err := exp.Update(ctx, parzen.StopConditions{MaxTrials: &two}); err != nil {
		t.Fatal(err)
	}
	if n, _ := exp.MaxTrials(); n != 2 {
		t.Fatalf("MaxTrials after Update: %d", n)
	}
	if state, _ := exp.State(); state != parzenv1.ExperimentState_EXPERIMENT_STATE_ACTIVE {
		t.Fatalf("raising the budget re-opens: %v", state)
	}
	if err := exp.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	var done *parzen.ExperimentDoneError
	if _, err := exp.Suggest(ctx); !errors.As(err, &done) || parzen.ReasonName(done.Reason) != "STOPPED" {
		t.Fatalf("Suggest after Stop: %v", err)
	}
	past := create(t, c, parzen.ExperimentSpec{Space: []parzen.Param{parzen.Uniform("x", 0, 1)}, Deadline: time.Now().Add(-time.Second)})
	if _, err := past.Suggest(ctx); !errors.As(err, &done) || parzen.ReasonName(done.Reason) != "DEADLINE" {
		t.Fatalf("Suggest past the deadline: %v", err)
	}
}

// MaxFailedTrials: 1 is a limit (0 means none): the first FAIL completes the experiment.
func TestMaxFailedTrialsOfOne(t *testing.T) {
	c := dial(t)
	ctx := testCtx(t)
	exp := create(t, c, parzen.ExperimentSpec{Space: []parzen.Param{parzen.Uniform("x", 0, 1)}, MaxFailedTrials: 1})
	if got := exp.Proto().GetMaxFailedTrials(); got != 1 {
		t.Fatalf("max_failed_trials sent: %d", got)
	}
	tr, err := exp.Suggest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Fail(ctx, "diverged"); err != nil {
		t.Fatal(err)
	}
	var done *parzen.ExperimentDoneError
	if _, err := exp.Suggest(ctx); !errors.As(err, &done) || done.Reason != parzenv1.CompletionReason_COMPLETION_REASON_FAILURES {
		t.Fatalf("Suggest after one FAIL under MaxFailedTrials 1: %v", err)
	}
}

package parzen_test

// Integration tests against the real server started by TestMain.

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	parzen "github.com/parzen-hpo/parzen/clients/go"
)

// basicSpace has one parameter of each common kind.
func basicSpace() []parzen.Param {
	return []parzen.Param{
		parzen.LogUniform("lr", 1e-4, 1),
		parzen.Uniform("dropout", 0, 0.5),
		parzen.Int("layers", 1, 6),
		parzen.Choice("activation", "relu", "tanh", "gelu"),
	}
}

func create(t *testing.T, c *parzen.Client, spec parzen.ExperimentSpec) *parzen.Experiment {
	t.Helper()
	if spec.Name == "" {
		spec.Name = uniqueName(t)
	}
	if spec.Algorithm == "" {
		spec.Algorithm = "random" // the one algorithm every server version has
	}
	exp, err := c.CreateExperiment(testCtx(t), spec)
	if err != nil {
		t.Fatal(err)
	}
	return exp
}

func TestCreateSuggestReportBest(t *testing.T) {
	c := dial(t)
	ctx := testCtx(t)
	spec := parzen.ExperimentSpec{Name: uniqueName(t), Space: basicSpace(), Algorithm: "random", Seed: parzen.SeedOf(42)}
	exp := create(t, c, spec)
	if !exp.Created() || exp.Seed() != 42 || exp.Name() != spec.Name {
		t.Fatalf("created %v seed %d name %s", exp.Created(), exp.Seed(), exp.Name())
	}

	// Same definition again: the stored experiment, not a new one.
	again, err := c.CreateExperiment(ctx, spec)
	if err != nil || again.Created() {
		t.Fatalf("re-create: created=%v err=%v", again != nil && again.Created(), err)
	}
	opened, err := c.Experiment(ctx, spec.Name)
	if err != nil || opened.Proto().GetAlgorithm().GetName() != "random" {
		t.Fatalf("open by name: %v", err)
	}

	trials, err := exp.SuggestN(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	one, err := exp.Suggest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	trials = append(trials, one)
	seen := map[int64]bool{}
	bestLoss, bestID := math.Inf(1), int64(-1)
	for i, tr := range trials {
		if seen[tr.ID()] {
			t.Errorf("duplicate trial %d", tr.ID())
		}
		seen[tr.ID()] = true
		if tr.State() != parzen.Running || tr.LeaseDeadline().IsZero() || tr.Experiment() != spec.Name {
			t.Errorf("trial %s", tr.Summary())
		}
		lr, layers, act := tr.MustFloat("lr"), tr.MustInt("layers"), tr.MustString("activation")
		if lr < 1e-4 || lr > 1 || layers < 1 || layers > 6 || !strings.Contains("relu tanh gelu", act) || act == "" {
			t.Errorf("values outside the space: %v", tr.Params())
		}
		if _, isInt := tr.Params()["layers"].(int64); !isInt {
			t.Errorf("layers should come back as int64: %T", tr.Params()["layers"])
		}
		if _, isFloat := tr.Params()["dropout"].(float64); !isFloat {
			t.Errorf("dropout should come back as float64: %T", tr.Params()["dropout"])
		}
		loss := (math.Log10(lr)+2)*(math.Log10(lr)+2) + float64(layers)*0.1 + float64(i)*1e-3
		if err := tr.Report(ctx, loss, map[string]float64{"accuracy": 1 / (1 + loss)}); err != nil {
			t.Fatal(err)
		}
		if l, ok := tr.Loss(); !ok || l != loss || tr.State() != parzen.Complete {
			t.Errorf("after report: %s loss %v", tr.Summary(), l)
		}
		if loss < bestLoss {
			bestLoss, bestID = loss, tr.ID()
		}
	}

	best, err := exp.Best(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := best.Loss(); best.ID() != bestID || l != bestLoss || best.Metrics()["accuracy"] != 1/(1+bestLoss) {
		t.Errorf("best: %s, want id %d loss %v", best.Summary(), bestID, bestLoss)
	}

	if err := exp.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if n := exp.Counts().GetComplete(); n != 5 {
		t.Errorf("complete count %d, want 5", n)
	}
	all, err := exp.AllTrials(ctx, parzen.Complete)
	if err != nil || len(all) != 5 {
		t.Fatalf("AllTrials: %d %v", len(all), err)
	}
	for i, tr := range all {
		if tr.Number() != int64(i) {
			t.Errorf("history out of order: #%d at %d", tr.Number(), i)
		}
	}
	running, err := exp.AllTrials(ctx, parzen.Running)
	if err != nil || len(running) != 0 {
		t.Errorf("running: %d %v", len(running), err)
	}
	got, err := c.Trial(ctx, bestID)
	if err != nil || got.MustFloat("lr") != best.MustFloat("lr") {
		t.Errorf("Trial by id: %v", err)
	}
}

func TestDefaultAlgorithmWorks(t *testing.T) {
	// Whatever the server's default is (random now, TPE later).
	c := dial(t)
	ctx := testCtx(t)
	exp, err := c.CreateExperiment(ctx, parzen.ExperimentSpec{Name: uniqueName(t), Space: basicSpace()})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		tr, err := exp.Suggest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Report(ctx, tr.MustFloat("lr"), nil); err != nil {
			t.Fatal(err)
		}
	}
}

func TestConditionalParameters(t *testing.T) {
	c := dial(t)
	ctx := testCtx(t)
	exp := create(t, c, parzen.ExperimentSpec{Space: []parzen.Param{
		parzen.Choice("optimizer",
			parzen.When("sgd",
				parzen.Uniform("momentum", 0, 0.99),
				parzen.Choice("nesterov", true, false)),
			parzen.When("adam", parzen.LogUniform("beta2", 0.9, 0.9999)),
			"rmsprop"),
		parzen.QUniform("width", 16, 256, 16),
	}})
	trials, err := exp.SuggestN(ctx, 40)
	if err != nil {
		t.Fatal(err)
	}
	branches := map[string]int{}
	for _, tr := range trials {
		opt := tr.MustString("optimizer")
		branches[opt]++
		if tr.Has("momentum") != (opt == "sgd") || tr.Has("nesterov") != (opt == "sgd") || tr.Has("beta2") != (opt == "adam") {
			t.Errorf("wrong conditional parameters for %q: %v", opt, tr.Params())
		}
		if opt == "sgd" {
			if m := tr.MustFloat("momentum"); m < 0 || m > 0.99 {
				t.Errorf("momentum %v", m)
			}
			if _, ok := tr.Params()["nesterov"].(bool); !ok {
				t.Errorf("nesterov should be a bool: %T", tr.Params()["nesterov"])
			}
		}
		if w := tr.MustInt("width"); w < 16 || w > 256 || w%16 != 0 {
			t.Errorf("width %v not on the grid", tr.Params()["width"])
		}
		if err := tr.Report(ctx, tr.MustFloat("width"), nil); err != nil {
			t.Fatal(err)
		}
	}
	if len(branches) != 3 {
		t.Errorf("every branch should be drawn in 40 trials: %v", branches)
	}
}

func TestErrorsAreMapped(t *testing.T) {
	c := dial(t)
	ctx := testCtx(t)

	_, err := c.Experiment(ctx, "go-no-such-experiment")
	if !parzen.IsNotFound(err) || status.Code(err) != codes.NotFound || !errors.Is(err, parzen.ErrNotFound) {
		t.Errorf("missing experiment: %v", err)
	}
	if _, err := c.Trial(ctx, 1<<50); !parzen.IsNotFound(err) {
		t.Errorf("missing trial: %v", err)
	}

	_, err = c.CreateExperiment(ctx, parzen.ExperimentSpec{Name: uniqueName(t), Space: []parzen.Param{parzen.Uniform("x", 1, 0)}})
	if !parzen.IsInvalidArgument(err) || !strings.Contains(err.Error(), "x") {
		t.Errorf("low > high: %v", err)
	}
	_, err = c.CreateExperiment(ctx, parzen.ExperimentSpec{Name: uniqueName(t), Space: []parzen.Param{parzen.Uniform("x", 0, 1)}, Algorithm: "no-such-algorithm"})
	if !parzen.IsInvalidArgument(err) {
		t.Errorf("unknown algorithm: %v", err)
	}

	spec := parzen.ExperimentSpec{Name: uniqueName(t), Space: []parzen.Param{parzen.Uniform("x", 0, 1)}, Algorithm: "random"}
	exp := create(t, c, spec)
	spec.Space = []parzen.Param{parzen.Uniform("x", 0, 2)}
	if _, err := c.CreateExperiment(ctx, spec); !parzen.IsAlreadyExists(err) {
		t.Errorf("same name, other space: %v", err)
	}

	if _, err := exp.Best(ctx); !parzen.IsFailedPrecondition(err) {
		t.Errorf("best of nothing: %v", err)
	}
	tr, err := exp.Suggest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Report(ctx, math.NaN(), nil); !parzen.IsInvalidArgument(err) {
		t.Errorf("NaN loss: %v", err)
	}
	if err := tr.Report(ctx, 0.5, nil); err != nil {
		t.Fatal(err)
	}
	if err := tr.Report(ctx, 0.5, nil); err != nil {
		t.Errorf("identical second report should be accepted: %v", err)
	}
	err = tr.Report(ctx, 0.7, nil)
	if !parzen.IsFailedPrecondition(err) || !errors.Is(err, parzen.ErrFailedPrecondition) {
		t.Errorf("conflicting report: %v", err)
	}
	var pe *parzen.Error
	if !errors.As(err, &pe) || !strings.Contains(pe.Op, "Report") {
		t.Errorf("errors.As *parzen.Error: %#v", pe)
	}
	if _, err := tr.Heartbeat(ctx); !parzen.IsFailedPrecondition(err) {
		t.Errorf("heartbeat of a finished trial: %v", err)
	}
	if _, err := exp.Enqueue(ctx, map[string]any{"x": 5.0}); !parzen.IsInvalidArgument(err) {
		t.Errorf("enqueue outside the space: %v", err)
	}
}

func TestFailPruneAndIntermediate(t *testing.T) {
	c := dial(t)
	ctx := testCtx(t)
	exp := create(t, c, parzen.ExperimentSpec{Space: basicSpace()})
	ts, err := exp.SuggestN(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	for step := int64(0); step < 3; step++ {
		prune, err := ts[0].ReportIntermediate(ctx, step, 1/float64(step+1))
		if err != nil || prune {
			t.Fatalf("intermediate: %v %v", prune, err)
		}
	}
	if err := ts[0].Prune(ctx); err != nil {
		t.Fatal(err)
	}
	if l, ok := ts[0].Loss(); ts[0].State() != parzen.Pruned || !ok || l != 1.0/3 {
		t.Errorf("pruned: %s loss %v %v", ts[0].Summary(), l, ok)
	}
	if n := len(ts[0].Proto().GetIntermediateValues()); n != 3 {
		t.Errorf("intermediate values: %d", n)
	}
	if err := ts[1].Fail(ctx, "CUDA out of memory"); err != nil {
		t.Fatal(err)
	}
	if ts[1].State() != parzen.Failed || ts[1].Proto().GetFailReason() != "CUDA out of memory" {
		t.Errorf("failed: %s", ts[1].Summary())
	}
	failed, err := exp.AllTrials(ctx, parzen.Failed)
	if err != nil || len(failed) != 1 || failed[0].ID() != ts[1].ID() {
		t.Errorf("history by state: %v %v", failed, err)
	}
}

func TestHeartbeatKeepsTheLease(t *testing.T) {
	c := dial(t)
	ctx := testCtx(t)
	exp := create(t, c, parzen.ExperimentSpec{Space: basicSpace(), LeaseDuration: 2 * time.Second})
	ts, err := exp.SuggestN(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	kept, dropped := ts[0], ts[1]
	first := kept.LeaseDeadline()
	hb := kept.KeepAlive(ctx) // every ~667ms
	time.Sleep(4500 * time.Millisecond)

	if err := kept.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if kept.State() != parzen.Running || !kept.LeaseDeadline().After(first.Add(time.Second)) {
		t.Errorf("heartbeated trial: %s, deadline %v (first %v)", kept.Summary(), kept.LeaseDeadline(), first)
	}
	if hb.Err() != nil {
		t.Errorf("heartbeat error: %v", hb.Err())
	}
	if err := dropped.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if dropped.State() != parzen.Lost {
		t.Errorf("trial without heartbeat should be LOST after 4.5s of a 2s lease: %s", dropped.Summary())
	}

	if err := kept.Report(ctx, 0.1, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-hb.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Report did not stop the heartbeat")
	}
	if hb.Err() != nil {
		t.Errorf("heartbeat ended with %v after Report", hb.Err())
	}
}

func TestEnqueueAndImport(t *testing.T) {
	c := dial(t)
	ctx := testCtx(t)
	exp := create(t, c, parzen.ExperimentSpec{Space: basicSpace()})

	chosen := map[string]any{"lr": 0.01, "dropout": 0.1, "layers": 3, "activation": "gelu"}
	waiting, err := exp.Enqueue(ctx, chosen)
	if err != nil || len(waiting) != 1 || waiting[0].State() != parzen.Waiting {
		t.Fatalf("enqueue: %v %v", waiting, err)
	}
	tr, err := exp.Suggest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tr.MustFloat("lr") != 0.01 || tr.MustInt("layers") != 3 || tr.MustString("activation") != "gelu" {
		t.Errorf("the enqueued configuration should come first: %v", tr.Params())
	}
	if err := tr.Report(ctx, 0.5, nil); err != nil {
		t.Fatal(err)
	}

	imported, err := exp.Import(ctx,
		parzen.Observation{Params: map[string]any{"lr": 0.001, "dropout": 0.0, "layers": 1, "activation": "relu"}, Loss: 0.25, Metrics: map[string]float64{"accuracy": 0.9}},
		parzen.Observation{Params: map[string]any{"lr": 0.1, "dropout": 0.2, "layers": 6, "activation": "tanh"}, Failed: true},
	)
	if err != nil || len(imported) != 2 {
		t.Fatalf("import: %v %v", imported, err)
	}
	best, err := exp.Best(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := best.Loss(); l != 0.25 || best.ID() != imported[0].ID() {
		t.Errorf("best should be the imported 0.25: %s", best.Summary())
	}
	if m := imported[0].Metrics(); m["accuracy"] != 0.9 {
		t.Errorf("imported metrics: %v", m)
	}
	if imported[1].State() != parzen.Failed {
		t.Errorf("imported failure: %s", imported[1].Summary())
	}
}

func TestExperimentsIteratorAndDelete(t *testing.T) {
	c := dial(t)
	ctx := testCtx(t)
	exp := create(t, c, parzen.ExperimentSpec{Space: basicSpace()})
	found := false
	for e, err := range c.Experiments(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == exp.Name() {
			found = true
			break
		}
	}
	if !found {
		t.Errorf("%s not listed", exp.Name())
	}
	if err := exp.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Experiment(ctx, exp.Name()); !parzen.IsNotFound(err) {
		t.Errorf("after delete: %v", err)
	}
	if _, err := exp.Suggest(ctx); !parzen.IsNotFound(err) {
		t.Errorf("suggest after delete: %v", err)
	}
}

func TestUnixSocket(t *testing.T) {
	skipIntegration(t)
	if os.Getenv("PARZEN_TEST_ADDR") != "" {
		t.Skip("uses its own server")
	}
	dir, err := os.MkdirTemp("", "pz") // short: unix socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	srv, err := startServer(filepath.Join(dir, "p.db"), "unix://"+filepath.Join(dir, "p.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop()
	ctx := testCtx(t)
	dctx, cancel := context.WithTimeout(ctx, 90*time.Second) // see dial
	defer cancel()
	c, err := parzen.Dial(dctx, srv.addr, parzen.WithWorkerID("unix-worker"))
	if err != nil {
		t.Fatalf("dial %s: %v", srv.addr, err)
	}
	defer c.Close()
	exp := create(t, c, parzen.ExperimentSpec{Space: basicSpace()})
	tr, err := exp.Suggest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Proto().GetWorkerId() != "unix-worker" {
		t.Errorf("worker id: %q", tr.Proto().GetWorkerId())
	}
	if err := tr.Report(ctx, 1, nil); err != nil {
		t.Fatal(err)
	}
}

// TestExampleTrainer runs examples/go/trainer with a tiny budget.
func TestExampleTrainer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the example")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	c := dial(t) // also waits until the server answers (the example dials with a 10s timeout)
	name := uniqueName(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Built once, run twice: -trials is the total the experiment ends with, not trials added per run.
	bin := filepath.Join(t.TempDir(), "trainer")
	build := exec.CommandContext(ctx, goBin, "build", "-o", bin, "./trainer")
	build.Dir = filepath.Join(repoRoot, "examples", "go")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for run, env := range [][]string{{"PARZEN_ADDRESS=" + serverAddr(t)}, {"PARZEN_ADDRESS=", "PARZEN_ADDR=" + serverAddr(t)}} {
		cmd := exec.CommandContext(ctx, bin, "-experiment", name, "-trials", "6", "-workers", "2", "-algorithm", "random")
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("run %d failed: %v\n%s", run, err, out)
		}
		if !strings.Contains(string(out), "best: trial #") {
			t.Errorf("run %d: no best trial in the output:\n%s", run, out)
		}
		if run == 1 && !strings.Contains(string(out), "PARZEN_ADDR is deprecated") {
			t.Errorf("the deprecated PARZEN_ADDR works with a note:\n%s", out)
		}
		exp, err := c.Experiment(testCtx(t), name)
		if err != nil {
			t.Fatal(err)
		}
		counts := exp.Counts()
		if done := counts.GetComplete() + counts.GetPruned(); done != 6 || counts.GetRunning() != 0 {
			t.Errorf("after run %d the experiment should have 6 trials in total: %v", run, counts)
		}
	}
}

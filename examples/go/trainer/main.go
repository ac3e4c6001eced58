// Command trainer tunes a logistic regression through a Parzen server: the
// learning rate, L2 strength, batch size, epochs, and the optimizer (plain
// SGD, or SGD with momentum, whose momentum parameter exists only in that
// branch). Each trial trains on generated data, reports its validation
// log-loss per epoch (so a pruner can stop it early), keeps its lease alive
// with a background heartbeat, and reports the final loss.
//
//	parzen serve &                       # or: npm start
//	go run ./trainer -trials 30 -workers 4   # the experiment ends with 30 COMPLETE or PRUNED trials in total
//	PARZEN_ADDRESS=unix:///run/parzen/parzen.sock PARZEN_TRIALS=30 trainer   # as the sidecar Job runs it
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	parzen "github.com/parzen-hpo/parzen/clients/go"
)

type options struct {
	addr       string
	experiment string
	algorithm  string
	trials     int
	workers    int
	seed       uint64
}

func main() {
	o := options{}
	// The environment gives the defaults, so the same binary runs as the trainer container of
	// deploy/kubernetes/sidecar/job-go.yaml, where the manifest sets PARZEN_ADDRESS and friends.
	// Empty: parzen.Dial reads the environment as every client does (PARZEN_ADDRESS, the deprecated PARZEN_ADDR).
	flag.StringVar(&o.addr, "address", env("PARZEN_ADDRESS", ""),
		"Parzen server: host:port or unix:///path.sock (env PARZEN_ADDRESS; default "+parzen.DefaultAddress+")")
	deprecatedAddr := flag.String("addr", "", "deprecated: use -address")
	flag.StringVar(&o.experiment, "experiment", env("PARZEN_EXPERIMENT", "go-logreg-example"),
		"experiment name; re-running continues it (env PARZEN_EXPERIMENT)")
	flag.StringVar(&o.algorithm, "algorithm", "", `"tpe", "random", "gp" (server default when empty)`)
	flag.IntVar(&o.trials, "trials", envInt("PARZEN_TRIALS", 30),
		"COMPLETE or PRUNED trials the experiment ends with, counting earlier runs and other trainers on it (its max_trials; env PARZEN_TRIALS)")
	flag.IntVar(&o.workers, "workers", envInt("PARZEN_WORKERS", 2), "trials evaluated in parallel (env PARZEN_WORKERS)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the data and of the experiment")
	flag.Parse()
	if *deprecatedAddr != "" {
		fmt.Fprintln(os.Stderr, "trainer: -addr is deprecated: use -address (the flag every Parzen client and the CLI take)")
		if o.addr == "" {
			o.addr = *deprecatedAddr
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "trainer:", err)
		os.Exit(1)
	}
}

// env is the variable's value, or dflt when it is unset or empty.
func env(name, dflt string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return dflt
}

// envInt is the variable as an integer, or dflt when it is unset; a malformed value stops the program.
func envInt(name string, dflt int) int {
	v := os.Getenv(name)
	if v == "" {
		return dflt
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "trainer: %s=%q is not an integer\n", name, v)
		os.Exit(2)
	}
	return n
}

// space is the search space; "momentum" is active only for the "momentum" optimizer.
func space() []parzen.Param {
	return []parzen.Param{
		parzen.LogUniform("lr", 1e-4, 1),
		parzen.LogUniform("l2", 1e-6, 1),
		parzen.Choice("batch_size", 8, 32, 128),
		parzen.Int("epochs", 2, 30),
		parzen.Choice("optimizer",
			parzen.When("momentum", parzen.Uniform("momentum", 0.5, 0.99)),
			"sgd"),
	}
}

func run(ctx context.Context, o options, out io.Writer) error {
	dialCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	client, err := parzen.Dial(dialCtx, o.addr)
	if err != nil {
		return err
	}
	defer client.Close()

	exp, err := openExperiment(ctx, client, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "experiment %s (created: %v, seed %d)\n", exp.Name(), exp.Created(), exp.Seed())

	train, val := Generate(1000, 10, o.seed).Split(700)

	// The server keeps the budget (max_trials): each worker runs trials until it says the experiment is done.
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for w := 0; w < max(1, o.workers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				err := evaluate(ctx, exp, train, val, out, &mu)
				if errors.Is(err, parzen.ErrExperimentDone) {
					return
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	best, err := exp.Best(ctx)
	if err != nil {
		return err
	}
	loss, _ := best.Loss()
	fmt.Fprintf(out, "best: trial #%d val log-loss %.4f accuracy %.3f params %v\n",
		best.Number(), loss, best.Metrics()["accuracy"], best.Params())
	return nil
}

// openExperiment creates the experiment with a budget of o.trials, or opens the one a run before created and
// sets its budget to o.trials (re-opening it when that is more than it ran).
func openExperiment(ctx context.Context, client *parzen.Client, o options) (*parzen.Experiment, error) {
	spec := parzen.ExperimentSpec{
		Name:      o.experiment,
		Space:     space(),
		Algorithm: o.algorithm,
		Seed:      parzen.SeedOf(o.seed),
		UserAttrs: map[string]string{"example": "examples/go/trainer"},
		MaxTrials: int64(o.trials),
	}
	exp, err := client.CreateExperiment(ctx, spec)
	if !parzen.IsAlreadyExists(err) {
		return exp, err
	}
	// Another budget, or another definition: the same definition under its stored budget tells which.
	stored, err2 := client.Experiment(ctx, o.experiment)
	if err2 != nil {
		return nil, err2
	}
	spec.MaxTrials, _ = stored.MaxTrials()
	if _, err2 := client.CreateExperiment(ctx, spec); err2 != nil {
		return nil, fmt.Errorf("%w (an experiment %q with another definition exists: pick another -experiment)", err, o.experiment)
	}
	n := int64(o.trials)
	return stored, stored.Update(ctx, parzen.StopConditions{MaxTrials: &n})
}

// evaluate runs one suggested trial to completion and reports it.
func evaluate(ctx context.Context, exp *parzen.Experiment, train, val *Dataset, out io.Writer, outMu *sync.Mutex) error {
	t, err := exp.Suggest(ctx)
	if err != nil {
		return err
	}
	hb := t.KeepAlive(ctx) // stopped by Report/Fail/Prune, or below
	defer hb.Stop()

	h := Hyper{
		LR:        t.MustFloat("lr"),
		L2:        t.MustFloat("l2"),
		BatchSize: int(t.MustInt("batch_size")),
		Epochs:    int(t.MustInt("epochs")),
	}
	if t.MustLabel("optimizer") == "momentum" {
		h.Momentum = t.MustFloat("momentum")
	}

	var (
		pruned  bool
		stepErr error
	)
	m := Train(train, h, uint64(t.Number()), func(epoch int, m *Model) bool {
		l := m.LogLoss(val)
		if math.IsInf(l, 0) {
			return false // diverged: no point going on
		}
		prune, err := t.ReportIntermediate(ctx, int64(epoch), l)
		if err != nil {
			stepErr = err
			return false
		}
		pruned = prune
		return !prune && hb.Err() == nil // stop if the server gave the trial up
	})
	if stepErr != nil {
		return stepErr
	}
	if err := hb.Err(); err != nil {
		return fmt.Errorf("trial %d lost its lease: %w", t.ID(), err)
	}

	loss, acc := m.LogLoss(val), m.Accuracy(val)
	var line string
	switch {
	case math.IsInf(loss, 0) || math.IsNaN(loss):
		line = fmt.Sprintf("trial #%-3d diverged  %v", t.Number(), t.Params())
		err = t.Fail(ctx, "diverged")
	case pruned:
		line = fmt.Sprintf("trial #%-3d pruned    %v", t.Number(), t.Params())
		err = t.Prune(ctx)
	default:
		line = fmt.Sprintf("trial #%-3d loss %.4f acc %.3f  %v", t.Number(), loss, acc, t.Params())
		err = t.Report(ctx, loss, map[string]float64{"accuracy": acc})
	}
	if err != nil {
		return err
	}
	outMu.Lock()
	fmt.Fprintln(out, line)
	outMu.Unlock()
	return nil
}

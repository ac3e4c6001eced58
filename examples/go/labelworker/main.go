// Command labelworker is a Go worker for the cross-language test
// (test/integration/every-language.test.ts): it creates (-create) or joins an
// experiment whose "optimizer" choice has the options labelled "sgd" (with a
// "momentum" parameter) and "adam", whoever defined it, and runs its trials
// with exp.Run until the experiment is done, printing one JSON line per trial.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	parzen "github.com/parzen-hpo/parzen/clients/go"
)

func main() {
	name := flag.String("experiment", "", "experiment name")
	create := flag.Bool("create", false, "create the experiment (max_trials 9)")
	trials := flag.Int("trials", 0, "stop after this many trials (0: when the experiment is done)")
	flag.Parse()
	if err := run(*name, *create, *trials); err != nil {
		fmt.Fprintln(os.Stderr, "labelworker:", err)
		os.Exit(1)
	}
}

func run(name string, create bool, trials int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx) // cancelled after -trials: Run reports the trial at hand and starts no other
	defer stop()
	c, err := parzen.Dial(ctx, "", parzen.WithWorkerID("go")) // PARZEN_ADDRESS
	if err != nil {
		return err
	}
	defer c.Close()
	if create {
		_, err = c.CreateExperiment(ctx, parzen.ExperimentSpec{
			Name:      name,
			Algorithm: "random",
			MaxTrials: 9,
			Space: []parzen.Param{
				parzen.Uniform("x", 0, 1),
				parzen.Choice("optimizer", parzen.When("sgd", parzen.Uniform("momentum", 0, 0.99)), "adam"),
			},
		})
		if err == nil {
			fmt.Println(`{"created": true}`)
		}
		return err
	}
	exp, err := c.Experiment(ctx, name)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	ran := 0
	err = exp.Run(runCtx, func(ctx context.Context, t *parzen.Trial) (float64, error) {
		if ran++; ran == trials {
			stop()
		}
		label, err := t.Label("optimizer")
		if err != nil {
			return 0, err
		}
		if (label == "sgd") != t.Has("momentum") || (label != "sgd" && label != "adam") {
			return 0, fmt.Errorf("trial #%d: optimizer %q with momentum %v", t.Number(), label, t.Has("momentum"))
		}
		x, err := t.Float("x")
		if err != nil {
			return 0, err
		}
		_ = enc.Encode(map[string]any{"worker": "go", "number": t.Number(), "optimizer": label})
		if label == "sgd" {
			return x, nil
		}
		return 1 + x, nil
	})
	if errors.Is(err, context.Canceled) && ctx.Err() == nil {
		return nil
	}
	return err
}

package parzen_test

import (
	"context"
	"errors"
	"log"
	"time"

	parzen "github.com/parzen-hpo/parzen/clients/go"
)

// train stands in for real training code.
func train(lr float64, layers int, optimizer string, momentum float64) (float64, error) {
	if lr <= 0 {
		return 0, errors.New("bad learning rate")
	}
	return lr * float64(layers), nil
}

// The quick start of the README (compiled, not run: it needs a server).
func Example() {
	ctx := context.Background()
	dialCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	client, err := parzen.Dial(dialCtx, "127.0.0.1:50051") // or "unix:///run/parzen.sock"
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	exp, err := client.CreateExperiment(ctx, parzen.ExperimentSpec{
		Name: "mlp-tuning",
		Space: []parzen.Param{
			parzen.LogUniform("lr", 1e-5, 1e-1),
			parzen.Int("layers", 1, 6),
			parzen.Choice("optimizer",
				parzen.When("sgd", parzen.Uniform("momentum", 0, 0.99)), // only when "sgd"
				"adam"),
		},
	})
	if err != nil {
		log.Fatal(err)
	}

	for i := 0; i < 50; i++ {
		t, err := exp.Suggest(ctx)
		if err != nil {
			log.Fatal(err)
		}
		momentum := 0.0
		if t.Has("momentum") {
			momentum = t.MustFloat("momentum")
		}
		loss, err := train(t.MustFloat("lr"), int(t.MustInt("layers")), t.MustString("optimizer"), momentum)
		if err != nil {
			_ = t.Fail(ctx, err.Error())
			continue
		}
		if err := t.Report(ctx, loss, map[string]float64{"accuracy": 1 - loss}); err != nil {
			log.Fatal(err)
		}
	}

	best, err := exp.Best(ctx)
	if err != nil {
		log.Fatal(err)
	}
	loss, _ := best.Loss()
	log.Printf("best loss %.4f with %v", loss, best.Params())
}

// A long trial keeps its lease alive in the background and gives up when
// the server has given the trial to someone else.
func ExampleTrial_KeepAlive() {
	var exp *parzen.Experiment // from CreateExperiment or client.Experiment
	ctx := context.Background()
	t, err := exp.Suggest(ctx)
	if err != nil {
		log.Fatal(err)
	}
	hb := t.KeepAlive(ctx)
	defer hb.Stop()
	for epoch := int64(0); epoch < 100; epoch++ {
		select {
		case <-hb.Done():
			log.Fatalf("trial %d lost: %v", t.ID(), hb.Err())
		default:
		}
		// ... one epoch of training ...
		prune, err := t.ReportIntermediate(ctx, epoch, 0.5)
		if err != nil {
			log.Fatal(err)
		}
		if prune {
			_ = t.Prune(ctx)
			return
		}
	}
	_ = t.Report(ctx, 0.1, nil)
}

func ExampleExperiment_Trials() {
	var exp *parzen.Experiment
	ctx := context.Background()
	for t, err := range exp.Trials(ctx, parzen.Complete) {
		if err != nil {
			log.Fatal(err)
		}
		loss, _ := t.Loss()
		log.Printf("#%d loss %.4f %v", t.Number(), loss, t.Params())
	}
}

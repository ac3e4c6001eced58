package parzen_test

// Several objectives and constraints against the real server started by TestMain.

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	parzen "github.com/parzen-hpo/parzen/clients/go"
)

func TestMultiObjectiveParetoFront(t *testing.T) {
	c := dial(t)
	ctx := testCtx(t)
	exp := create(t, c, parzen.ExperimentSpec{
		Space:     []parzen.Param{parzen.Uniform("x", 0, 1)},
		Algorithm: "tpe",
		Objectives: []parzen.Objective{
			{Name: "error", Direction: parzen.Minimize},
			{Name: "throughput", Direction: parzen.Maximize},
		},
	})
	if got := exp.Proto().GetObjectives(); len(got) != 2 || got[1].GetName() != "throughput" {
		t.Fatalf("objectives %v", got)
	}
	reported := [][]float64{{0.5, 10}, {0.1, 1}, {0.4, 20}, {0.3, 14}}
	for _, v := range reported {
		tr, err := exp.Suggest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.ReportValues(ctx, v, nil); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(tr.Values(), v) {
			t.Fatalf("values %v, want %v", tr.Values(), v)
		}
		if _, ok := tr.Loss(); ok {
			t.Fatal("a multi-objective trial has no loss")
		}
	}
	front, err := exp.ParetoFront(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var numbers []int64
	for _, tr := range front {
		numbers = append(numbers, tr.Number())
	}
	if !reflect.DeepEqual(numbers, []int64{1, 2, 3}) {
		t.Fatalf("front %v", numbers)
	}
	_, err = exp.Best(ctx)
	var pe *parzen.Error
	if !errors.As(err, &pe) || parzen.Code(err) != codes.FailedPrecondition {
		t.Fatalf("Best on several objectives: %v", err)
	}
	tr, err := exp.Suggest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.ReportValues(ctx, []float64{1}, nil); parzen.Code(err) != codes.InvalidArgument {
		t.Fatalf("one value for two objectives: %v", err)
	}
}

func TestConstraints(t *testing.T) {
	c := dial(t)
	ctx := testCtx(t)
	exp := create(t, c, parzen.ExperimentSpec{Space: []parzen.Param{parzen.Uniform("x", 0, 1)}})
	report := func(loss, constraint float64) *parzen.Trial {
		tr, err := exp.Suggest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.ReportConstrained(ctx, []float64{loss}, []float64{constraint}, nil); err != nil {
			t.Fatal(err)
		}
		return tr
	}
	bad := report(0.1, 2)
	good := report(0.5, -1)
	if bad.Feasible() || !good.Feasible() || !reflect.DeepEqual(bad.Constraints(), []float64{2}) {
		t.Fatalf("feasible %v %v, constraints %v", bad.Feasible(), good.Feasible(), bad.Constraints())
	}
	if l, ok := bad.Loss(); !ok || l != 0.1 {
		t.Fatalf("loss %v %v", l, ok)
	}
	best, err := exp.Best(ctx)
	if err != nil || best.ID() != good.ID() {
		t.Fatalf("best %v err %v: the infeasible trial must not win", best, err)
	}
	imported, err := exp.Import(ctx, parzen.Observation{Params: map[string]any{"x": 0.5}, Loss: 0.2, Constraints: []float64{0}})
	if err != nil || len(imported) != 1 || !imported[0].Feasible() {
		t.Fatalf("import: %v", err)
	}
	best, err = exp.Best(ctx)
	if err != nil || best.ID() != imported[0].ID() {
		t.Fatalf("best after import %v err %v", best, err)
	}
}

func TestNSGA2WithConstraints(t *testing.T) {
	c := dial(t)
	ctx := testCtx(t)
	exp := create(t, c, parzen.ExperimentSpec{
		Space:            []parzen.Param{parzen.Uniform("x", 0, 1), parzen.Uniform("y", 0, 1)},
		Algorithm:        "nsga2",
		AlgorithmOptions: map[string]any{"population_size": 4, "crossover": "blxalpha", "alpha": 0.2},
		Objectives:       []parzen.Objective{{Direction: parzen.Minimize}, {Direction: parzen.Minimize}},
	})
	for k := 0; k < 12; k++ {
		tr, err := exp.Suggest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		x, errX := tr.Float("x")
		y, errY := tr.Float("y")
		if errX != nil || errY != nil {
			t.Fatal(errX, errY)
		}
		if x < 0 || x > 1 || y < 0 || y > 1 {
			t.Fatalf("suggestion outside the space: x=%v y=%v", x, y)
		}
		if err := tr.ReportConstrained(ctx, []float64{x, 1 - x + y}, []float64{0.1 - x}, nil); err != nil {
			t.Fatal(err)
		}
	}
	front, err := exp.ParetoFront(ctx)
	if err != nil || len(front) == 0 {
		t.Fatalf("front %v, err %v", front, err)
	}
	_, err = c.CreateExperiment(ctx, parzen.ExperimentSpec{
		Name:             uniqueName(t) + "-bad",
		Space:            []parzen.Param{parzen.Uniform("x", 0, 1)},
		Algorithm:        "nsga2",
		AlgorithmOptions: map[string]any{"population_size": 1},
	})
	if !errors.Is(err, parzen.ErrInvalidArgument) || !strings.Contains(err.Error(), `"population_size" Too small`) {
		t.Fatalf("err %v", err)
	}
}

package parzen_test

// Parameter importance (GetImportance) against the real server, on a
// problem whose important parameter is known.

import (
	"math"
	"testing"

	parzen "github.com/parzen-hpo/parzen/clients/go"
)

func TestImportanceRanksTheParameterThatDecidesTheLoss(t *testing.T) {
	c := dial(t)
	ctx := testCtx(t)
	exp := create(t, c, parzen.ExperimentSpec{
		Space: []parzen.Param{parzen.Uniform("x", -1, 1), parzen.Uniform("noise", 0, 1), parzen.Choice("opt", "a", "b")},
		Seed:  parzen.SeedOf(5),
	})
	for i := 0; i < 150; i++ {
		tr, err := exp.Suggest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Report(ctx, 10*tr.MustFloat("x")*tr.MustFloat("x"), nil); err != nil {
			t.Fatal(err)
		}
	}
	imp, err := exp.Importance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(imp) != 3 || imp[0].Name != "x" || imp[0].Importance < 0.8 {
		t.Fatalf("importance %+v: want x first, above 0.8", imp)
	}
	sum := 0.0
	for _, p := range imp {
		sum += p.Importance
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Fatalf("importances sum to %v", sum)
	}
}

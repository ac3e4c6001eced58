package main

import (
	"math"
	"testing"
)

func TestGoodHyperparametersLearn(t *testing.T) {
	train, val := Generate(600, 8, 1).Split(400)
	m := Train(train, Hyper{LR: 0.05, L2: 1e-4, Momentum: 0.9, BatchSize: 32, Epochs: 20}, 1, nil)
	if acc := m.Accuracy(val); acc < 0.75 {
		t.Errorf("validation accuracy %.3f, want >= 0.75", acc)
	}
	if l := m.LogLoss(val); !(l < 0.6) {
		t.Errorf("validation log-loss %.3f, want < 0.6", l)
	}
}

func TestHyperparametersMatter(t *testing.T) {
	train, val := Generate(600, 8, 1).Split(400)
	good := Train(train, Hyper{LR: 0.05, L2: 1e-4, Momentum: 0.9, BatchSize: 32, Epochs: 20}, 1, nil).LogLoss(val)
	tooSlow := Train(train, Hyper{LR: 1e-5, BatchSize: 32, Epochs: 2}, 1, nil).LogLoss(val)
	tooRegularised := Train(train, Hyper{LR: 0.05, L2: 1, BatchSize: 32, Epochs: 20}, 1, nil).LogLoss(val)
	if !(good < tooSlow && good < tooRegularised) {
		t.Errorf("good %.3f, too slow %.3f, too regularised %.3f", good, tooSlow, tooRegularised)
	}
}

func TestDivergenceIsInfinite(t *testing.T) {
	train, val := Generate(200, 8, 2).Split(100)
	m := Train(train, Hyper{LR: 1e6, Momentum: 0.99, BatchSize: 1, Epochs: 5}, 1, nil)
	if l := m.LogLoss(val); !(l > 5 || math.IsInf(l, 1)) {
		t.Errorf("expected a huge loss for a diverging run, got %v", l)
	}
}

func TestEarlyStop(t *testing.T) {
	train, _ := Generate(100, 4, 3).Split(80)
	n := 0
	Train(train, Hyper{LR: 0.1, BatchSize: 10, Epochs: 50}, 1, func(epoch int, _ *Model) bool { n++; return epoch < 2 })
	if n != 3 {
		t.Errorf("ran %d epochs, want 3", n)
	}
}

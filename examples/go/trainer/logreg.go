package main

// Logistic regression trained by minibatch SGD (optionally with momentum)
// on a generated, noisy, linearly-separable-ish data set. Pure: no I/O. It
// is the "real computation" the example tunes; nothing here knows Parzen.

import (
	"math"
	"math/rand/v2"
)

// Dataset is a design matrix (row-major, n x d) with 0/1 labels.
type Dataset struct {
	X    []float64
	Y    []float64
	N, D int
}

func (ds *Dataset) row(i int) []float64 { return ds.X[i*ds.D : (i+1)*ds.D] }

// Generate makes n labelled points in d dimensions from a fixed random
// linear model with label noise, deterministic for a seed. Features have
// very different scales, so the learning rate matters.
func Generate(n, d int, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	w := make([]float64, d)
	scale := make([]float64, d)
	for j := range w {
		w[j] = rng.NormFloat64()
		scale[j] = math.Exp(rng.NormFloat64()) // features from ~0.3x to ~3x
	}
	ds := &Dataset{X: make([]float64, n*d), Y: make([]float64, n), N: n, D: d}
	for i := 0; i < n; i++ {
		z := 0.0
		for j := 0; j < d; j++ {
			x := rng.NormFloat64()
			ds.X[i*d+j] = x * scale[j]
			z += w[j] * x
		}
		if rng.Float64() < sigmoid(2*z) {
			ds.Y[i] = 1
		}
	}
	return ds
}

// Split returns the first k rows and the rest.
func (ds *Dataset) Split(k int) (*Dataset, *Dataset) {
	a := &Dataset{X: ds.X[:k*ds.D], Y: ds.Y[:k], N: k, D: ds.D}
	b := &Dataset{X: ds.X[k*ds.D:], Y: ds.Y[k:], N: ds.N - k, D: ds.D}
	return a, b
}

// Hyper are the hyperparameters being tuned.
type Hyper struct {
	LR        float64 // step size
	L2        float64 // weight-decay strength
	Momentum  float64 // 0 for plain SGD
	BatchSize int
	Epochs    int
}

// Model is a weight vector and a bias.
type Model struct {
	W []float64
	B float64
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func (m *Model) predict(x []float64) float64 {
	z := m.B
	for j, xj := range x {
		z += m.W[j] * xj
	}
	return sigmoid(z)
}

// LogLoss is the mean binary cross-entropy on ds (+Inf when it diverged).
func (m *Model) LogLoss(ds *Dataset) float64 {
	const eps = 1e-12
	s := 0.0
	for i := 0; i < ds.N; i++ {
		p := math.Min(math.Max(m.predict(ds.row(i)), eps), 1-eps)
		s -= ds.Y[i]*math.Log(p) + (1-ds.Y[i])*math.Log(1-p)
	}
	if math.IsNaN(s) {
		return math.Inf(1)
	}
	return s / float64(ds.N)
}

// Accuracy is the fraction of ds classified correctly at threshold 0.5.
func (m *Model) Accuracy(ds *Dataset) float64 {
	ok := 0
	for i := 0; i < ds.N; i++ {
		if (m.predict(ds.row(i)) >= 0.5) == (ds.Y[i] == 1) {
			ok++
		}
	}
	return float64(ok) / float64(ds.N)
}

// Train runs h.Epochs epochs of minibatch SGD, calling after(epoch, model)
// after each; training stops early when after returns false.
func Train(train *Dataset, h Hyper, seed uint64, after func(epoch int, m *Model) bool) *Model {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := &Model{W: make([]float64, train.D)}
	vw := make([]float64, train.D)
	vb := 0.0
	grad := make([]float64, train.D)
	order := rng.Perm(train.N)
	bs := max(1, h.BatchSize)
	for epoch := 0; epoch < h.Epochs; epoch++ {
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		for start := 0; start < train.N; start += bs {
			batch := order[start:min(start+bs, train.N)]
			clear(grad)
			gb := 0.0
			for _, i := range batch {
				x := train.row(i)
				r := m.predict(x) - train.Y[i]
				for j, xj := range x {
					grad[j] += r * xj
				}
				gb += r
			}
			inv := 1 / float64(len(batch))
			for j := range m.W {
				g := grad[j]*inv + h.L2*m.W[j]
				vw[j] = h.Momentum*vw[j] - h.LR*g
				m.W[j] += vw[j]
			}
			vb = h.Momentum*vb - h.LR*gb*inv
			m.B += vb
		}
		if after != nil && !after(epoch, m) {
			break
		}
	}
	return m
}

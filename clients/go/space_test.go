package parzen

import (
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	parzenv1 "github.com/parzen-hpo/parzen/clients/go/gen/parzen/v1"
)

func mustJSON(t *testing.T, p Param) string {
	t.Helper()
	pb, err := p.Proto()
	if err != nil {
		t.Fatalf("%s: %v", p.Name(), err)
	}
	b, err := protojson.MarshalOptions{}.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	// protojson output spacing is deliberately unstable; compare compacted.
	var out []byte
	for _, c := range b {
		if c != ' ' {
			out = append(out, c)
		}
	}
	return string(out)
}

func TestDomainsBuildTheirProto(t *testing.T) {
	cases := []struct {
		p    Param
		want string
	}{
		{Uniform("x", -1, 2), `{"name":"x","uniform":{"low":-1,"high":2}}`},
		{LogUniform("lr", 1e-5, 0.1), `{"name":"lr","logUniform":{"low":0.00001,"high":0.1}}`},
		{QUniform("q", 0, 10, 0.5), `{"name":"q","qUniform":{"high":10,"q":0.5}}`},
		{QLogUniform("ql", 1, 100, 1), `{"name":"ql","qLogUniform":{"low":1,"high":100,"q":1}}`},
		{Normal("n", 0.5, 2), `{"name":"n","normal":{"mu":0.5,"sigma":2}}`},
		{LogNormal("ln", 0, 1), `{"name":"ln","logNormal":{"sigma":1}}`},
		{QNormal("qn", 1, 2, 3), `{"name":"qn","qNormal":{"mu":1,"sigma":2,"q":3}}`},
		{QLogNormal("qln", 1, 2, 3), `{"name":"qln","qLogNormal":{"mu":1,"sigma":2,"q":3}}`},
		{Int("layers", 1, 8), `{"name":"layers","intRange":{"low":"1","high":"8"}}`},
		{Int("units", 16, 512).Step(16), `{"name":"units","intRange":{"low":"16","high":"512","step":"16"}}`},
		{Int("batch", 1, 1024).Log(), `{"name":"batch","intRange":{"low":"1","high":"1024","log":true}}`},
		{Choice("act", "relu", "tanh"), `{"name":"act","choice":{"options":[{"value":{"stringValue":"relu"}},{"value":{"stringValue":"tanh"}}]}}`},
		{Choice("mix", 1, 2.5, true, uint8(3)).Weights(1, 2, 3, 4),
			`{"name":"mix","choice":{"options":[{"value":{"intValue":"1"}},{"value":{"doubleValue":2.5}},{"value":{"boolValue":true}},{"value":{"intValue":"3"}}],"weights":[1,2,3,4]}}`},
	}
	for _, c := range cases {
		if got := mustJSON(t, c.p); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.p.Name(), got, c.want)
		}
	}
}

func TestChoiceWithConditionalChildren(t *testing.T) {
	p := Choice("optimizer",
		When("sgd", Uniform("momentum", 0, 0.99), Choice("nesterov", true, false)),
		When("adam", LogUniform("beta2", 0.9, 0.9999)),
		"rmsprop")
	pb, err := p.Proto()
	if err != nil {
		t.Fatal(err)
	}
	opts := pb.GetChoice().GetOptions()
	if len(opts) != 3 {
		t.Fatalf("want 3 options, got %d", len(opts))
	}
	if n := len(opts[0].GetChildren()); n != 2 {
		t.Errorf("sgd: want 2 children, got %d", n)
	}
	if opts[0].GetChildren()[1].GetChoice() == nil {
		t.Errorf("sgd's nesterov should be a choice")
	}
	if opts[1].GetChildren()[0].GetName() != "beta2" || len(opts[2].GetChildren()) != 0 {
		t.Errorf("unexpected children: %v", pb)
	}
}

func TestParamIsImmutable(t *testing.T) {
	base := Int("n", 1, 10)
	stepped := base.Step(3)
	if mustJSON(t, base) != `{"name":"n","intRange":{"low":"1","high":"10"}}` {
		t.Errorf("Step modified its receiver: %s", mustJSON(t, base))
	}
	if s, _ := stepped.Proto(); s.GetIntRange().GetStep() != 3 {
		t.Errorf("Step lost: %v", s)
	}
}

func TestBuilderMistakesSurfaceAsInvalidArgument(t *testing.T) {
	bad := []Param{
		Choice("c", struct{}{}),
		Choice("c", When("a", Choice("inner", []int{1}))),
		Uniform("u", 0, 1).Step(2),
		Uniform("u", 0, 1).Log(),
		Int("i", 0, 1).Weights(1),
		{},
	}
	for i, p := range bad {
		_, err := spaceProto("CreateExperiment x", []Param{Uniform("ok", 0, 1), p})
		if !IsInvalidArgument(err) {
			t.Errorf("case %d: want INVALID_ARGUMENT, got %v", i, err)
		}
	}
}

func TestSpecProto(t *testing.T) {
	spec := ExperimentSpec{
		Name:             "e",
		Space:            []Param{Uniform("x", 0, 1)},
		Direction:        Maximize,
		Algorithm:        "random",
		AlgorithmOptions: map[string]any{"n_startup": 5, "gamma": 0.25, "multivariate": true},
		Seed:             SeedOf(7),
		RetryLost:        true,
		UserAttrs:        map[string]string{"owner": "me"},
	}
	pb, err := spec.proto("CreateExperiment e")
	if err != nil {
		t.Fatal(err)
	}
	if pb.GetDirection() != parzenv1.Direction_DIRECTION_MAXIMIZE || pb.GetSeed() != 7 || pb.Seed == nil || !pb.GetRetryLost() {
		t.Errorf("direction/seed lost: %v", pb)
	}
	if pb.GetAlgorithm().GetOptions()["n_startup"].GetIntValue() != 5 ||
		pb.GetAlgorithm().GetOptions()["gamma"].GetDoubleValue() != 0.25 ||
		!pb.GetAlgorithm().GetOptions()["multivariate"].GetBoolValue() {
		t.Errorf("options lost: %v", pb.GetAlgorithm())
	}
	if pb.Pruner != nil || pb.LeaseDuration != nil {
		t.Errorf("unset pruner/lease should stay absent: %v", pb)
	}
	spec.AlgorithmOptions["bad"] = []string{}
	if _, err := spec.proto("CreateExperiment e"); !IsInvalidArgument(err) {
		t.Errorf("want INVALID_ARGUMENT for a bad option, got %v", err)
	}
}

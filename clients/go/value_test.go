package parzen

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"

	parzenv1 "github.com/parzen-hpo/parzen/clients/go/gen/parzen/v1"
)

func TestValueRoundTrip(t *testing.T) {
	cases := []struct{ in, out any }{
		{1.5, 1.5}, {float32(0.5), 0.5}, {7, int64(7)}, {int8(-3), int64(-3)},
		{uint32(9), int64(9)}, {uint64(math.MaxInt64), int64(math.MaxInt64)},
		{"adam", "adam"}, {true, true},
	}
	for _, c := range cases {
		v, err := toValue(c.in)
		if err != nil {
			t.Fatalf("%v: %v", c.in, err)
		}
		if got := fromValue(v); got != c.out {
			t.Errorf("%T %v -> %T %v, want %T %v", c.in, c.in, got, got, c.out, c.out)
		}
	}
	for _, bad := range []any{nil, uint64(math.MaxUint64), []int{1}, map[string]int{}} {
		if _, err := toValue(bad); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
	if fromValue(nil) != nil {
		t.Errorf("empty value should convert to nil")
	}
}

// An option without a label is called by its value as text, as every client
// writes it (../behaviour.json, "label_text").
func TestLabelTextAsEveryClientWritesIt(t *testing.T) {
	raw, err := os.ReadFile("../behaviour.json")
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		LabelText struct {
			Cases []struct {
				Kind  string          `json:"kind"`
				Value json.RawMessage `json:"value"`
				Text  string          `json:"text"`
			} `json:"cases"`
		} `json:"label_text"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	for _, c := range b.LabelText.Cases {
		var v any
		switch c.Kind {
		case "double":
			var f float64
			err = json.Unmarshal(c.Value, &f)
			v = f
		case "int":
			var i int64
			err = json.Unmarshal(c.Value, &i)
			v = i
		case "string":
			var s string
			err = json.Unmarshal(c.Value, &s)
			v = s
		case "bool":
			var x bool
			err = json.Unmarshal(c.Value, &x)
			v = x
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := labelText(v); got != c.Text {
			t.Errorf("labelText(%s %s) = %q, want %q", c.Kind, c.Value, got, c.Text)
		}
	}
	if len(b.LabelText.Cases) == 0 {
		t.Fatal("no cases")
	}
}

// Int's range is int64's exactly: a float parameter converts only when the integer it holds fits, at both ends.
func TestTrialIntAtInt64Bounds(t *testing.T) {
	c := &Client{}
	tr := c.newTrial(&parzenv1.Trial{Params: map[string]*parzenv1.Value{
		"below":  {Kind: &parzenv1.Value_DoubleValue{DoubleValue: math.Nextafter(1<<63, 0)}},
		"top":    {Kind: &parzenv1.Value_DoubleValue{DoubleValue: 1 << 63}},
		"bottom": {Kind: &parzenv1.Value_DoubleValue{DoubleValue: -1 << 63}},
		"under":  {Kind: &parzenv1.Value_DoubleValue{DoubleValue: math.Nextafter(-1<<63, math.Inf(-1))}},
	}})
	if got, err := tr.Int("below"); err != nil || got != 1<<63-1024 {
		t.Errorf("the largest float below 2^63: %d, %v", got, err)
	}
	if got, err := tr.Int("bottom"); err != nil || got != math.MinInt64 {
		t.Errorf("-2^63 is int64's minimum: %d, %v", got, err)
	}
	for _, name := range []string{"top", "under"} {
		if got, err := tr.Int(name); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: outside int64, want an error, got %d, %v", name, got, err)
		}
	}
}

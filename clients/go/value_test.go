package parzen

import (
	"math"
	"testing"
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

package parzen

// Conversions between Go values and the contract's typed scalar (Value):
// float64 <-> double_value, int64 <-> int_value, string, bool. Pure: no I/O.

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	parzenv1 "github.com/parzen-hpo/parzen/clients/go/gen/parzen/v1"
)

// toValue converts a Go scalar to a Value. Integers of every width become
// int_value; floats become double_value.
func toValue(x any) (*parzenv1.Value, error) {
	switch v := x.(type) {
	case *parzenv1.Value:
		if v == nil || v.Kind == nil {
			return nil, fmt.Errorf("empty Value")
		}
		return v, nil
	case string:
		return &parzenv1.Value{Kind: &parzenv1.Value_StringValue{StringValue: v}}, nil
	case bool:
		return &parzenv1.Value{Kind: &parzenv1.Value_BoolValue{BoolValue: v}}, nil
	case float64:
		return doubleValue(v), nil
	case float32:
		return doubleValue(float64(v)), nil
	case int:
		return intValue(int64(v)), nil
	case int8:
		return intValue(int64(v)), nil
	case int16:
		return intValue(int64(v)), nil
	case int32:
		return intValue(int64(v)), nil
	case int64:
		return intValue(v), nil
	case uint:
		return uintValue(uint64(v))
	case uint8:
		return intValue(int64(v)), nil
	case uint16:
		return intValue(int64(v)), nil
	case uint32:
		return intValue(int64(v)), nil
	case uint64:
		return uintValue(v)
	default:
		return nil, fmt.Errorf("unsupported value type %T (want string, bool, an integer or a float)", x)
	}
}

func doubleValue(f float64) *parzenv1.Value {
	return &parzenv1.Value{Kind: &parzenv1.Value_DoubleValue{DoubleValue: f}}
}

func intValue(i int64) *parzenv1.Value {
	return &parzenv1.Value{Kind: &parzenv1.Value_IntValue{IntValue: i}}
}

func uintValue(u uint64) (*parzenv1.Value, error) {
	if u > math.MaxInt64 {
		return nil, fmt.Errorf("integer %d does not fit in int64", u)
	}
	return intValue(int64(u)), nil
}

// fromValue converts a Value to float64, int64, string or bool (nil when empty).
func fromValue(v *parzenv1.Value) any {
	switch k := v.GetKind().(type) {
	case *parzenv1.Value_DoubleValue:
		return k.DoubleValue
	case *parzenv1.Value_IntValue:
		return k.IntValue
	case *parzenv1.Value_StringValue:
		return k.StringValue
	case *parzenv1.Value_BoolValue:
		return k.BoolValue
	default:
		return nil
	}
}

// toValueMap converts a name -> Go scalar map; op names the caller in errors.
func toValueMap(op string, m map[string]any) (map[string]*parzenv1.Value, error) {
	out := make(map[string]*parzenv1.Value, len(m))
	for name, x := range m {
		v, err := toValue(x)
		if err != nil {
			return nil, invalid(op, "parameter %q: %v", name, err)
		}
		out[name] = v
	}
	return out, nil
}

func fromValueMap(m map[string]*parzenv1.Value) map[string]any {
	out := make(map[string]any, len(m))
	for name, v := range m {
		out[name] = fromValue(v)
	}
	return out
}

// valueKey identifies a choice option as the server does: numbers by value
// (int or float alike), strings and bools by themselves.
func valueKey(v any) string {
	switch x := v.(type) {
	case float64:
		return "n:" + strconv.FormatFloat(x, 'g', -1, 64)
	case int64:
		return "n:" + strconv.FormatFloat(float64(x), 'g', -1, 64)
	case string:
		return "s:" + x
	case bool:
		return "b:" + strconv.FormatBool(x)
	}
	return fmt.Sprintf("?:%v", v)
}

// labelText is an option's value as text when it has no label, written as
// every Parzen client and the server write it (JavaScript's number format:
// 1.0 is "1", 1e-7 is "1e-7").
func labelText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return jsNumber(x)
	}
	return fmt.Sprint(v)
}

// jsNumber writes x as JavaScript's String(x) does: the shortest digits that
// round-trip, in fixed notation for exponents -7 < e < 21, else as d.ddde±n.
func jsNumber(x float64) string {
	if x == 0 {
		return "0"
	}
	s := strconv.FormatFloat(x, 'e', -1, 64)
	i := strings.IndexByte(s, 'e')
	exp, _ := strconv.Atoi(s[i+1:])
	if exp > -7 && exp < 21 {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	sign := "+"
	if exp < 0 {
		sign, exp = "-", -exp
	}
	return s[:i] + "e" + sign + strconv.Itoa(exp)
}

// choiceLabels maps each choice parameter of a space to its options' labels by valueKey.
func choiceLabels(space *parzenv1.SearchSpace) map[string]map[string]string {
	out := map[string]map[string]string{}
	var walk func(ps []*parzenv1.Parameter)
	walk = func(ps []*parzenv1.Parameter) {
		for _, p := range ps {
			c := p.GetChoice()
			if c == nil {
				continue
			}
			labels := map[string]string{}
			for _, o := range c.GetOptions() {
				v := fromValue(o.GetValue())
				if o.GetLabel() != "" {
					labels[valueKey(v)] = o.GetLabel()
				} else {
					labels[valueKey(v)] = labelText(v)
				}
				walk(o.GetChildren())
			}
			out[p.GetName()] = labels
		}
	}
	walk(space.GetParameters())
	return out
}

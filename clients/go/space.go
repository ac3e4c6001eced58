package parzen

// The search-space builder: one constructor per domain of the contract's
// space.proto, plus Choice with conditional child parameters. Builders never
// fail on the spot; a mistake (e.g. an unsupported option type) is kept in
// the Param and reported by CreateExperiment as INVALID_ARGUMENT. Range
// checks (low < high, ...) are left to the server, which owns validation and
// names the offending field precisely. Pure: no I/O.

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	parzenv1 "github.com/parzen-hpo/parzen/clients/go/gen/parzen/v1"
)

// Param is one named hyperparameter of a search space. Build it with
// Uniform, LogUniform, QUniform, QLogUniform, Normal, LogNormal, QNormal,
// QLogNormal, Int or Choice. A Param is an immutable value: methods such as
// Step or Weights return a modified copy.
type Param struct {
	p   *parzenv1.Parameter
	err error
}

// Name is the parameter's name.
func (p Param) Name() string { return p.p.GetName() }

// Proto returns a copy of the parameter as its protobuf message.
func (p Param) Proto() (*parzenv1.Parameter, error) {
	if p.err != nil {
		return nil, p.err
	}
	if p.p == nil {
		return nil, fmt.Errorf("zero Param (use a constructor such as parzen.Uniform)")
	}
	return proto.Clone(p.p).(*parzenv1.Parameter), nil
}

// Uniform is a real parameter uniform on [low, high].
func Uniform(name string, low, high float64) Param {
	return Param{p: &parzenv1.Parameter{Name: name, Domain: &parzenv1.Parameter_Uniform{
		Uniform: &parzenv1.Uniform{Low: low, High: high}}}}
}

// LogUniform is a real parameter whose logarithm is uniform; low and high
// are in natural units (low > 0), unlike hyperopt's hp.loguniform.
func LogUniform(name string, low, high float64) Param {
	return Param{p: &parzenv1.Parameter{Name: name, Domain: &parzenv1.Parameter_LogUniform{
		LogUniform: &parzenv1.LogUniform{Low: low, High: high}}}}
}

// QUniform is uniform on the grid low, low+q, low+2q, ... <= high.
func QUniform(name string, low, high, q float64) Param {
	return Param{p: &parzenv1.Parameter{Name: name, Domain: &parzenv1.Parameter_QUniform{
		QUniform: &parzenv1.QUniform{Low: low, High: high, Q: q}}}}
}

// QLogUniform is log-uniform on [low, high] rounded to the grid low, low+q, ...
func QLogUniform(name string, low, high, q float64) Param {
	return Param{p: &parzenv1.Parameter{Name: name, Domain: &parzenv1.Parameter_QLogUniform{
		QLogUniform: &parzenv1.QLogUniform{Low: low, High: high, Q: q}}}}
}

// Normal is an unbounded real parameter with a Normal(mu, sigma) prior.
func Normal(name string, mu, sigma float64) Param {
	return Param{p: &parzenv1.Parameter{Name: name, Domain: &parzenv1.Parameter_Normal{
		Normal: &parzenv1.Normal{Mu: mu, Sigma: sigma}}}}
}

// LogNormal is exp(Normal(mu, sigma)); mu and sigma are in log space, as in
// hyperopt.
func LogNormal(name string, mu, sigma float64) Param {
	return Param{p: &parzenv1.Parameter{Name: name, Domain: &parzenv1.Parameter_LogNormal{
		LogNormal: &parzenv1.LogNormal{Mu: mu, Sigma: sigma}}}}
}

// QNormal is Normal(mu, sigma) rounded to the nearest multiple of q.
func QNormal(name string, mu, sigma, q float64) Param {
	return Param{p: &parzenv1.Parameter{Name: name, Domain: &parzenv1.Parameter_QNormal{
		QNormal: &parzenv1.QNormal{Mu: mu, Sigma: sigma, Q: q}}}}
}

// QLogNormal is exp(Normal(mu, sigma)) rounded to the nearest multiple of q.
func QLogNormal(name string, mu, sigma, q float64) Param {
	return Param{p: &parzenv1.Parameter{Name: name, Domain: &parzenv1.Parameter_QLogNormal{
		QLogNormal: &parzenv1.QLogNormal{Mu: mu, Sigma: sigma, Q: q}}}}
}

// Int is an integer parameter on low, low+1, ..., high (both inclusive).
// Use Step for a coarser grid and Log for a log-uniform prior.
func Int(name string, low, high int64) Param {
	return Param{p: &parzenv1.Parameter{Name: name, Domain: &parzenv1.Parameter_IntRange{
		IntRange: &parzenv1.IntRange{Low: low, High: high}}}}
}

// Step returns a copy of an Int parameter on the grid low, low+step, ... <= high.
func (p Param) Step(step int64) Param {
	return p.withInt("Step", func(r *parzenv1.IntRange) { r.Step = step })
}

// Log returns a copy of an Int parameter with a log-uniform prior over its
// values (requires step 1 and low >= 1).
func (p Param) Log() Param {
	return p.withInt("Log", func(r *parzenv1.IntRange) { r.Log = true })
}

func (p Param) withInt(method string, set func(*parzenv1.IntRange)) Param {
	if p.err != nil || p.p == nil {
		return p
	}
	q := proto.Clone(p.p).(*parzenv1.Parameter)
	r := q.GetIntRange()
	if r == nil {
		return Param{p: q, err: fmt.Errorf("parameter %q: %s applies only to Int parameters", q.Name, method)}
	}
	set(r)
	return Param{p: q}
}

// Branch is a choice option together with the parameters that exist only
// when it is chosen. Make one with When.
type Branch struct {
	value    any
	children []Param
}

// When makes a choice option with conditional child parameters: the
// children are active (present in a trial) only when value is chosen.
//
//	parzen.Choice("optimizer",
//		parzen.When("sgd", parzen.Uniform("momentum", 0, 0.99)),
//		"adam")
func When(value any, children ...Param) Branch { return Branch{value: value, children: children} }

// Choice is a categorical parameter. Each option is a string, bool, integer
// or float, or a Branch (from When) carrying child parameters. Options are
// equally likely a priori unless Weights says otherwise.
func Choice(name string, options ...any) Param {
	c := &parzenv1.Choice{}
	p := &parzenv1.Parameter{Name: name, Domain: &parzenv1.Parameter_Choice{Choice: c}}
	for i, o := range options {
		b, ok := o.(Branch)
		if !ok {
			b = Branch{value: o}
		}
		v, err := toValue(b.value)
		if err != nil {
			return Param{p: p, err: fmt.Errorf("choice %q option %d: %w", name, i, err)}
		}
		opt := &parzenv1.ChoiceOption{Value: v}
		for _, child := range b.children {
			cp, err := child.Proto()
			if err != nil {
				return Param{p: p, err: fmt.Errorf("choice %q option %d: %w", name, i, err)}
			}
			opt.Children = append(opt.Children, cp)
		}
		c.Options = append(c.Options, opt)
	}
	return Param{p: p}
}

// Weights returns a copy of a Choice parameter with prior weights, one per
// option (hyperopt's pchoice); the server normalises them.
func (p Param) Weights(weights ...float64) Param {
	if p.err != nil || p.p == nil {
		return p
	}
	q := proto.Clone(p.p).(*parzenv1.Parameter)
	c := q.GetChoice()
	if c == nil {
		return Param{p: q, err: fmt.Errorf("parameter %q: Weights applies only to Choice parameters", q.Name)}
	}
	c.Weights = append([]float64(nil), weights...)
	return Param{p: q}
}

// spaceProto builds the SearchSpace message of a list of parameters.
func spaceProto(op string, params []Param) (*parzenv1.SearchSpace, error) {
	s := &parzenv1.SearchSpace{}
	for i, p := range params {
		pp, err := p.Proto()
		if err != nil {
			return nil, invalid(op, "space parameter %d: %v", i, err)
		}
		s.Parameters = append(s.Parameters, pp)
	}
	return s, nil
}

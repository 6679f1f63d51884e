package stamp

import (
	"fmt"
	"sync/atomic"
	"time"
)

// FaultKind is what a fault does to the sessions it hits.
type FaultKind string

// Fault kinds.
const (
	// Breach makes the session measure Fault.Model instead of the
	// reflector's own: an SLA breach at the site.
	Breach FaultKind = "slaBreach"
	// Silent answers nothing: the far end is down, and a sender's call
	// ends at its deadline.
	Silent FaultKind = "silent"
)

// Fault is a rule for the sessions a reflector starts: which, by when
// (since the reflector's epoch) and by number, and what happens to them.
// A session's fate is decided when it starts.
type Fault struct {
	Name string
	Kind FaultKind
	// Model is the path a breach measures (its seed is the reflector's).
	Model *Model
	// From and Until bound the rule in time since the epoch; Until 0 is
	// for ever.
	From, Until time.Duration
	// Occurrence among the sessions, by number: the first N, every Nth,
	// only the k-th, or each with probability p (drawn from the
	// reflector's seed and the session's number); none set is every
	// session.
	First, Every, Nth int
	Probability       float64

	hits atomic.Int64
}

// Hits counts the sessions the rule hit.
func (f *Fault) Hits() int { return int(f.hits.Load()) }

// check refuses a rule that cannot be.
func (f *Fault) check() error {
	switch f.Kind {
	case Breach:
		if f.Model == nil {
			return fmt.Errorf("fault %s: a breach needs the model it measures", f.Name)
		}
		if err := f.Model.check(); err != nil {
			return fmt.Errorf("fault %s: %w", f.Name, err)
		}
	case Silent:
	default:
		return fmt.Errorf("fault %s: kind %q is not one of %s, %s", f.Name, f.Kind, Breach, Silent)
	}
	if f.First < 0 || f.Every < 0 || f.Nth < 0 {
		return fmt.Errorf("fault %s: first, every and nth count from 1", f.Name)
	}
	if f.Probability < 0 || f.Probability > 1 {
		return fmt.Errorf("fault %s: probability %g must be between 0 and 1", f.Name, f.Probability)
	}
	return nil
}

// applies tells whether the rule hits session number n, started at at,
// of a reflector whose model is m.
func (f *Fault) applies(at time.Duration, n uint32, m Model) bool {
	if at < f.From || (f.Until > 0 && at >= f.Until) {
		return false
	}
	switch {
	case f.First > 0:
		return int(n) <= f.First
	case f.Every > 0:
		return int(n)%f.Every == 0
	case f.Nth > 0:
		return int(n) == f.Nth
	case f.Probability > 0:
		return m.uniform(occurrence, n, 0) < f.Probability
	}
	return true
}

package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/looplab/fsm"
)

// IllegalError is a transition the lifecycle does not allow.
type IllegalError struct {
	Kind   Kind
	Entity string
	State  string
	Event  string
}

func (e *IllegalError) Error() string {
	return fmt.Sprintf("%s %s: event %q is not allowed in state %q", e.Kind, e.Entity, e.Event, e.State)
}

// ErrIllegal matches every *IllegalError with errors.Is.
var ErrIllegal = errors.New("illegal transition")

// Is makes errors.Is(err, ErrIllegal) true.
func (e *IllegalError) Is(target error) bool { return target == ErrIllegal }

// Transition is one recorded state change.
type Transition struct {
	Kind   Kind
	Entity string
	From   string
	To     string
	Event  string
	Reason string
}

// Set holds one looplab machine per lifecycle, and the same tables
// compiled into one lookup for the hot path (docs/architecture.md §3: the library cost
// ~14% of a scale run's CPU and a third of its allocations). Tests check the
// lookup against the machines pair by pair. Fire is safe for concurrent
// use; FireMachine is not.
type Set struct {
	machines map[Kind]*fsm.FSM
}

// edge is a (kind, state, event) of the compiled lookup.
type edge struct {
	kind         Kind
	state, event string
}

// compiled maps every declared (kind, state, event) to its destination. It
// is built once from the same tables as the machines and never changes.
var compiled = func() map[edge]string {
	m := map[edge]string{}
	for k, t := range table {
		for _, e := range t.events {
			for _, src := range e.Src {
				m[edge{k, src, e.Name}] = e.Dst
			}
		}
	}
	return m
}()

// NewSet builds one machine per declared lifecycle.
func NewSet() *Set {
	s := &Set{machines: make(map[Kind]*fsm.FSM, len(table))}
	for k, t := range table {
		s.machines[k] = fsm.NewFSM(t.initial, t.events, nil)
	}
	return s
}

// shared is the Set the core's components use: Fire only reads the
// compiled lookup, so one Set serves every engine, in every goroutine.
var shared = NewSet()

// Shared returns the Set for Fire. Use NewSet for FireMachine, whose
// looplab machines hold state and belong to one goroutine.
func Shared() *Set { return shared }

// ctx is never cancelled: a cancelled context wedges a looplab machine.
var ctx = context.Background()

// Fire applies event to an entity of kind k in state and returns the new
// state, through the compiled lookup.
func (s *Set) Fire(k Kind, entity, state, event string) (string, error) {
	if to, ok := compiled[edge{k, state, event}]; ok {
		return to, nil
	}
	if _, ok := table[k]; !ok {
		return state, fmt.Errorf("unknown lifecycle %q (known: %s)", k, knownList())
	}
	return state, &IllegalError{Kind: k, Entity: entity, State: state, Event: event}
}

// FireMachine does what Fire does through the looplab machine of the
// lifecycle (flyweight: SetState, then Event). It is the reference the
// compiled lookup is checked against. Src == Dst counts as success.
func (s *Set) FireMachine(k Kind, entity, state, event string) (string, error) {
	m, ok := s.machines[k]
	if !ok {
		return state, fmt.Errorf("unknown lifecycle %q (known: %s)", k, knownList())
	}
	m.SetState(state)
	err := m.Event(ctx, event)
	var none fsm.NoTransitionError
	if err != nil && !errors.As(err, &none) {
		return state, &IllegalError{Kind: k, Entity: entity, State: state, Event: event}
	}
	return m.Current(), nil
}

// Mermaid renders lifecycle k as a Mermaid state diagram.
func Mermaid(k Kind) (string, error) {
	t, ok := table[k]
	if !ok {
		return "", fmt.Errorf("unknown lifecycle %q (known: %s)", k, knownList())
	}
	return fsm.VisualizeWithType(fsm.NewFSM(t.initial, t.events, nil), fsm.MermaidStateDiagram)
}

func knownList() string {
	var names []string
	for _, k := range Kinds() {
		names = append(names, string(k))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Parse returns the lifecycle named name, or an error listing the known ones.
func Parse(name string) (Kind, error) {
	if slices.Contains(Kinds(), Kind(name)) {
		return Kind(name), nil
	}
	return "", fmt.Errorf("unknown lifecycle %q (known: %s)", name, knownList())
}

// Edge is one declared transition: from Src, Event leads to Dst.
type Edge struct{ Src, Event, Dst string }

// Edges lists every declared transition of k, sorted.
func Edges(k Kind) []Edge {
	var out []Edge
	for _, e := range table[k].events {
		for _, src := range e.Src {
			out = append(out, Edge{src, e.Name, e.Dst})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Src != b.Src {
			return a.Src < b.Src
		}
		return a.Event < b.Event
	})
	return out
}

// States lists every state of k, sorted; nil for an unknown kind.
func States(k Kind) []string {
	if _, ok := table[k]; !ok {
		return nil
	}
	seen := map[string]bool{table[k].initial: true}
	for _, e := range Edges(k) {
		seen[e.Src], seen[e.Dst] = true, true
	}
	var out []string
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Finish is the event that ends an order whose items are all final:
// cancel when every item was cancelled (the order goes the cancellation
// way), fail when every other item failed, partComplete when some did
// (partial is final, TMF v4), complete otherwise. Cancelled items are
// scope withdrawn, not failures. state reads an item's state.
func Finish[Item any](items []Item, state func(*Item) string) string {
	total, failed := 0, 0
	for i := range items {
		s := state(&items[i])
		if s == Cancelled {
			continue
		}
		total++
		if s == Failed {
			failed++
		}
	}
	switch {
	case total == 0:
		return Cancel
	case failed > 0 && failed == total:
		return Fail
	case failed > 0:
		return PartComplete
	}
	return Complete
}

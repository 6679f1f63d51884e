package store

import (
	"fmt"
	"time"
)

// Input is an input that came from outside the core (an API command, an
// answer of a real adapter), as the engine took it: a restarted engine
// replays these at the same points and rebuilds the same state
// (DESIGN.md §2).
type Input struct {
	// Before is how many inputs the engine had handled when it took this
	// one: replay hands it over at the same point.
	Before uint64
	At     time.Duration
	To     uint8
	// Kind names the message's type; Body is the message encoded.
	Kind string
	Body []byte
}

// InputLog keeps the inputs that came from outside. When LogInputs returns
// nil they are durable (for the store's idea of durable).
type InputLog interface {
	LogInputs(inputs []Input) error
}

// LogInputs keeps inputs.
func (m *Memory) LogInputs(inputs []Input) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, in := range inputs {
		in.Body = append([]byte(nil), in.Body...)
		m.inputs = append(m.inputs, in)
	}
	return nil
}

// Inputs returns the inputs logged, in order.
func (m *Memory) Inputs() []Input {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Input(nil), m.inputs...)
}

// Resumed is a journal being rebuilt by a replay: the records it already
// holds are checked against the replayed ones instead of being committed
// again; once they are all matched, records go through to the journal.
type Resumed struct {
	Journal
	done []Record
	next int
}

// Resume wraps j, which already holds done.
func Resume(j Journal, done []Record) *Resumed { return &Resumed{Journal: j, done: done} }

// Caught reports whether the replay has reproduced every record the
// journal held.
func (r *Resumed) Caught() bool { return r.next == len(r.done) }

// Append checks the records the journal holds and commits the rest. A
// replayed record that differs from the one committed is an error: the
// replay does not rebuild what was lost, and nothing more may be
// committed.
func (r *Resumed) Append(records []Record) error {
	for len(records) > 0 && r.next < len(r.done) {
		if got, want := records[0], r.done[r.next]; got != want {
			return fmt.Errorf("replay diverged at record %d: replayed %+v, journal holds %+v", r.next+1, got, want)
		}
		records = records[1:]
		r.next++
	}
	if len(records) == 0 {
		return nil
	}
	return r.Journal.Append(records)
}

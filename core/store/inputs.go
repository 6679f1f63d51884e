package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// Input is an input that came from outside the core (an API command, an
// answer of a real adapter), as the engine took it: a restarted engine
// replays these at the same points and rebuilds the same state
// (docs/architecture.md §2).
type Input struct {
	// Before is how many inputs the engine had handled when it took this
	// one: replay hands it over at the same point.
	Before uint64
	At     time.Duration
	To     uint8
	// Kind names the message's type; Body is the message encoded.
	Kind string
	Body []byte
	// Origin says who gave it, when it came through the API.
	Origin Origin
}

// Origin says who gave an input from outside, as the API took it: the
// authenticated actor and its roles, the request's id and source address,
// and when it was taken (the wall clock, not the engine's virtual time).
// The core's own inputs, and inputs logged before origins were kept, have
// none (the zero Origin).
type Origin struct {
	Actor   string    `json:"actor,omitempty"`
	Roles   []string  `json:"roles,omitempty"`
	Request string    `json:"request,omitempty"`
	Source  string    `json:"source,omitempty"`
	Taken   time.Time `json:"taken,omitzero"`
}

// IsZero tells whether o says nothing.
func (o Origin) IsZero() bool {
	return o.Actor == "" && len(o.Roles) == 0 && o.Request == "" && o.Source == "" && o.Taken.IsZero()
}

// Encode is o's canonical encoding, as the store keeps and the hash chain
// covers it: JSON with the members in the order above, the time in UTC
// (RFC 3339 with nanoseconds); nil for the zero Origin.
func (o Origin) Encode() []byte {
	if o.IsZero() {
		return nil
	}
	o.Taken = o.Taken.UTC()
	b, err := json.Marshal(o)
	if err != nil {
		panic(fmt.Sprintf("store: encode origin: %v", err)) // strings and a time always encode
	}
	return b
}

// DecodeOrigin reads an encoded Origin (nil or empty: the zero one).
func DecodeOrigin(b []byte) (Origin, error) {
	var o Origin
	if len(b) == 0 {
		return o, nil
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return Origin{}, fmt.Errorf("store: origin: %w", err)
	}
	return o, nil
}

// InputLog keeps the inputs that came from outside. When LogInputs returns
// nil they are durable (for the store's idea of durable).
type InputLog interface {
	LogInputs(inputs []Input) error
}

// Batch is a journal that also keeps inputs, and commits both together:
// the inputs an engine took and the records of handling them are durable
// at once, or not at all.
type Batch interface {
	Journal
	InputLog
	Commit(records []Record, inputs []Input) error
}

// Prober is a store that can tell whether it can write now, by writing:
// a server probes its store when it starts, before it says it is ready.
type Prober interface {
	Probe() error
}

// Shares reports whether the journal j commits the inputs of log with its
// records: log is j, or the journal j resumes.
func Shares(j Journal, log InputLog) (Batch, bool) {
	if r, ok := j.(*Resumed); ok {
		if inner, ok := r.Journal.(InputLog); !ok || inner != log {
			return nil, false
		}
		return r, true
	}
	b, ok := j.(Batch)
	if !ok || InputLog(b) != log {
		return nil, false
	}
	return b, true
}

// Commit keeps inputs and records.
func (m *Memory) Commit(records []Record, inputs []Input) error {
	if err := m.LogInputs(inputs); err != nil {
		return err
	}
	return m.Append(records)
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

// Ahead is a journal being rebuilt by a replay that tells what it holds
// beyond the records checked so far.
type Ahead interface {
	// Ahead returns the n-th record (from 0) after those checked so
	// far, if the journal holds it.
	Ahead(n int) (Record, bool)
}

// Ahead implements Ahead.
func (r *Resumed) Ahead(n int) (Record, bool) {
	if i := r.next + n; n >= 0 && i < len(r.done) {
		return r.done[i], true
	}
	return Record{}, false
}

// Caught reports whether the replay has reproduced every record the
// journal held.
func (r *Resumed) Caught() bool { return r.next == len(r.done) }

// LogInputs logs inputs in the journal resumed, which must keep inputs.
func (r *Resumed) LogInputs(inputs []Input) error {
	log, ok := r.Journal.(InputLog)
	if !ok {
		return fmt.Errorf("journal %T keeps no inputs", r.Journal)
	}
	return log.LogInputs(inputs)
}

// Probe probes the journal resumed, when it is a Prober.
func (r *Resumed) Probe() error {
	if p, ok := r.Journal.(Prober); ok {
		return p.Probe()
	}
	return nil
}

// Commit checks the records the journal holds and commits the rest with
// inputs, in one commit when the journal resumed is a Batch. A commit that
// fails may be given again, whole: the records it checked count as
// checked only once it succeeds.
func (r *Resumed) Commit(records []Record, inputs []Input) error {
	n, err := r.skip(records)
	if err != nil {
		return err
	}
	rest := records[n:]
	if len(rest) == 0 && len(inputs) == 0 {
		r.next += n
		return nil
	}
	if b, ok := r.Journal.(Batch); ok {
		err = b.Commit(rest, inputs)
	} else {
		if len(inputs) > 0 {
			err = r.LogInputs(inputs)
		}
		if err == nil && len(rest) > 0 {
			err = r.Journal.Append(rest)
		}
	}
	if err == nil {
		r.next += n
	}
	return err
}

// Append checks the records the journal holds and commits the rest. A
// replayed record that differs from the one committed is an error: the
// replay does not rebuild what was lost, and nothing more may be
// committed.
func (r *Resumed) Append(records []Record) error { return r.Commit(records, nil) }

// skip checks the replayed records the journal already holds and returns
// how many of records it holds.
func (r *Resumed) skip(records []Record) (int, error) {
	n := 0
	for n < len(records) && r.next+n < len(r.done) {
		if got, want := records[n], r.done[r.next+n]; got != want {
			return 0, fmt.Errorf("replay diverged at record %d: replayed %+v, journal holds %+v", r.next+n+1, got, want)
		}
		n++
	}
	return n, nil
}

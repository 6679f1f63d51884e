package store

import (
	"fmt"
	"iter"
	"sync"
	"time"
)

// Snapshot is the state of a running system saved between two steps
// (engine.Engine.Snapshot): a restart loads the latest one and replays only
// the inputs logged after it, checking the records it makes against those
// the journal holds after Records.
type Snapshot struct {
	// Inputs is how many inputs the engine had handled; the logged inputs
	// taken after it (Input.Before >= Inputs) are the tail to replay.
	Inputs uint64
	// Records is how many journal records were committed before it: the
	// tail's records start at seq Records+1.
	Records uint64
	// At is the engine's virtual time.
	At time.Duration
	// Body is the engine's encoding of the state. Pieces, when Body is
	// nil, is that encoding in pieces, one after the other: a store writes
	// them as they are (Chunks), never assembled, and reads back a Body.
	Body   []byte
	Pieces [][]byte
}

// Size is the length of s's encoding.
func (s Snapshot) Size() int {
	if s.Body != nil {
		return len(s.Body)
	}
	n := 0
	for _, p := range s.Pieces {
		n += len(p)
	}
	return n
}

// Chunks yields s's encoding in order, in chunks of at most size bytes,
// each a part of Body or of one of its Pieces (none empty): a store
// writes them as they come, and reads them back end to end.
func (s Snapshot) Chunks(size int) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		pieces := s.Pieces
		if s.Body != nil {
			pieces = [][]byte{s.Body}
		}
		for _, b := range pieces {
			for len(b) > 0 {
				c := b[:min(len(b), size)]
				if !yield(c) {
					return
				}
				b = b[len(c):]
			}
		}
	}
}

// Whole returns s with its encoding in Body, assembled from its Pieces
// when it has them.
func (s Snapshot) Whole() Snapshot {
	if s.Body == nil && s.Pieces != nil {
		s.Body = make([]byte, 0, s.Size())
		for _, p := range s.Pieces {
			s.Body = append(s.Body, p...)
		}
		s.Pieces = nil
	}
	return s
}

// Snapshots keeps the snapshots of a system. A store keeps at least the
// latest; SaveSnapshot returns once it is durable.
type Snapshots interface {
	SaveSnapshot(s Snapshot) error
	// LatestSnapshot returns the latest snapshot saved, ok false when there
	// is none.
	LatestSnapshot() (s Snapshot, ok bool, err error)
}

// memorySnapshot keeps the latest snapshot of a Memory store.
type memorySnapshot struct {
	mu     sync.Mutex
	latest *Snapshot
}

// SaveSnapshot keeps s as the latest snapshot.
func (m *Memory) SaveSnapshot(s Snapshot) error {
	if n := m.Len(); s.Records > uint64(n) {
		return fmt.Errorf("memory store: a snapshot after record %d, but the journal ends at %d", s.Records, n)
	}
	if s.Pieces == nil {
		s.Body = append([]byte(nil), s.Body...)
	}
	s = s.Whole()
	m.snap.mu.Lock()
	defer m.snap.mu.Unlock()
	m.snap.latest = &s
	return nil
}

// LatestSnapshot returns the latest snapshot saved.
func (m *Memory) LatestSnapshot() (Snapshot, bool, error) {
	m.snap.mu.Lock()
	defer m.snap.mu.Unlock()
	if m.snap.latest == nil {
		return Snapshot{}, false, nil
	}
	return *m.snap.latest, true, nil
}

// Cut is what a store held at one of its commits: its latest snapshot and
// the records and inputs committed after it, up to and with that commit. A
// replay of the inputs from the snapshot, checked against the records,
// rebuilds the state the writer's engine had when it handed that commit
// over: a process beside the writer takes a snapshot that way without
// stopping it (system.TakeSnapshot).
type Cut struct {
	// Snapshot is the latest snapshot, nil when there is none.
	Snapshot *Snapshot
	Records  []Record
	Inputs   []Input
}

// Cutter is a store that a process other than its writer can read whole at
// one commit while the writer goes on (Cut): one whose commits land whole
// and whose records and inputs are never changed once committed.
type Cutter interface {
	Cut() (Cut, error)
}

package store

import (
	"fmt"
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
	// Body is the engine's encoding of the state.
	Body []byte
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
	s.Body = append([]byte(nil), s.Body...)
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

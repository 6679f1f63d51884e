// Package store keeps the journal of the core: every recorded transition and
// fact, committed in batches before their effects leave the process.
package store

import (
	"encoding/binary"
	"sync"
	"time"
)

// Record is one journal entry: a lifecycle transition of an entity, or a fact
// (Kind says which).
type Record struct {
	At     time.Duration
	Kind   string // lifecycle kind, or a fact kind such as "milestone"
	Entity string // id
	Name   string // display name (SO-PILOT), if other than the id
	System string // who recorded it: COM, SOM, ROM → access, ...
	From   string
	To     string
	Event  string
	Reason string
}

// Journal takes committed records.
type Journal interface {
	// Append commits records in order. When it returns nil they are durable
	// (for the store's idea of durable).
	Append(records []Record) error
}

// Memory keeps the journal in memory: the simulation store. Records are
// kept encoded in byte chunks, which hold no pointers: a journal of
// millions of records costs the garbage collector nothing to scan.
type Memory struct {
	mu      sync.Mutex
	chunks  [][]byte
	n       int
	commits int
}

// memoryChunk is the size of one chunk of encoded records.
const memoryChunk = 1 << 20

// NewMemory returns an empty in-memory journal.
func NewMemory() *Memory { return &Memory{} }

// Append keeps records.
func (m *Memory) Append(records []Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range records {
		r := &records[i]
		size := binary.MaxVarintLen64 + 8*binary.MaxVarintLen32 + len(r.Kind) + len(r.Entity) + len(r.Name) +
			len(r.System) + len(r.From) + len(r.To) + len(r.Event) + len(r.Reason)
		if len(m.chunks) == 0 || cap(m.chunks[len(m.chunks)-1])-len(m.chunks[len(m.chunks)-1]) < size {
			// Chunks double from 4 KiB up to memoryChunk: a small journal
			// stays small.
			next := 4 << 10
			if len(m.chunks) > 0 {
				next = min(2*cap(m.chunks[len(m.chunks)-1]), memoryChunk)
			}
			m.chunks = append(m.chunks, make([]byte, 0, max(next, size)))
		}
		b := m.chunks[len(m.chunks)-1]
		b = binary.AppendVarint(b, int64(r.At))
		for _, s := range [...]string{r.Kind, r.Entity, r.Name, r.System, r.From, r.To, r.Event, r.Reason} {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
		m.chunks[len(m.chunks)-1] = b
		m.n++
	}
	m.commits++
	return nil
}

// Records returns everything committed so far, in order.
func (m *Memory) Records() []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Record, 0, m.n)
	for _, b := range m.chunks {
		for len(b) > 0 {
			var r Record
			at, n := binary.Varint(b)
			b = b[n:]
			r.At = time.Duration(at)
			for _, s := range [...]*string{&r.Kind, &r.Entity, &r.Name, &r.System, &r.From, &r.To, &r.Event, &r.Reason} {
				l, n := binary.Uvarint(b)
				*s = string(b[n : n+int(l)])
				b = b[n+int(l):]
			}
			out = append(out, r)
		}
	}
	return out
}

// Len counts the records committed.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n
}

// Commits counts the batches committed.
func (m *Memory) Commits() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.commits
}

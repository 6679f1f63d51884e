// Package store keeps the journal of the core: every recorded transition and
// fact, committed in batches before their effects leave the process.
package store

import (
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

// Memory keeps the journal in memory: the simulation store.
type Memory struct {
	mu      sync.Mutex
	records Chunks[Record]
	commits int
}

// NewMemory returns an empty in-memory journal.
func NewMemory() *Memory { return &Memory{} }

// Append keeps records.
func (m *Memory) Append(records []Record) error {
	m.mu.Lock()
	for _, r := range records {
		m.records.Append(r)
	}
	m.commits++
	m.mu.Unlock()
	return nil
}

// Records returns a copy of everything committed so far.
func (m *Memory) Records() []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.records.All()
}

// Commits counts the batches committed.
func (m *Memory) Commits() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.commits
}

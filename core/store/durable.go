package store

import (
	"context"
	"maps"
	"sync"
)

// Settings keeps what a restart must find again: the wall clock's start
// and scale, what the store serves, the approval keys.
type Settings interface {
	// Meta returns the setting called key, ok false when it is not set.
	Meta(key string) (value string, ok bool, err error)
	SetMeta(key, value string) error
}

// Tail gives what a restart from a snapshot replays and checks.
type Tail interface {
	// RecordsAfter returns the records committed after the first n, in
	// order.
	RecordsAfter(n uint64) ([]Record, error)
	// InputsFrom returns the inputs logged when the engine had handled n
	// inputs or more, in order.
	InputsFrom(n uint64) ([]Input, error)
}

// Cursors keeps the hub notifier's delivery cursors: for each listener,
// the seq of the last record it was given. Each call is one short write
// (or read) of its own, apart from the engine's commits.
type Cursors interface {
	// Cursors returns every cursor: listener id → seq.
	Cursors(ctx context.Context) (map[string]int64, error)
	// AddCursor starts the cursor of listener at seq, unless it has one,
	// and returns where the cursor is.
	AddCursor(ctx context.Context, listener string, seq int64) (int64, error)
	// SetCursor moves the cursor of listener to seq, creating it if need
	// be.
	SetCursor(ctx context.Context, listener string, seq int64) error
	// MoveCursor moves the cursor of listener to seq if it still has one.
	MoveCursor(ctx context.Context, listener string, seq int64) error
	// MoveCursors moves the cursors of listeners forward to seq (never
	// back), in one write.
	MoveCursors(ctx context.Context, listeners []string, seq int64) error
	DeleteCursor(ctx context.Context, listener string) error
	// Close lets the handle go.
	Close() error
}

// Durable is a store a server runs on: it commits records and inputs
// together, keeps snapshots, read models, settings and the hub's cursors,
// publishes its commits to its feed, and can say whether it can write.
// The SQLite file and a PostgreSQL database are durable stores; Memory
// implements it too, for tests, durable only for its own lifetime.
type Durable interface {
	Batch
	Prober
	Snapshots
	Shelf
	Feeder
	Settings
	Tail
	CursorKeeper
	// Len counts the records committed.
	Len() int
	Close() error
}

// CursorKeeper is a store that keeps the hub's delivery cursors.
type CursorKeeper interface {
	// OpenCursors opens a handle on the cursors, for the notifier, which
	// closes it.
	OpenCursors() (Cursors, error)
}

// Probe tells that a Memory store can write: it always can.
func (m *Memory) Probe() error { return nil }

// Close does nothing: a Memory store lives as long as it is referenced.
func (m *Memory) Close() error { return nil }

// Meta returns the setting called key.
func (m *Memory) Meta(key string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.meta[key]
	return v, ok, nil
}

// SetMeta sets the setting called key.
func (m *Memory) SetMeta(key, value string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.meta == nil {
		m.meta = map[string]string{}
	}
	m.meta[key] = value
	return nil
}

// RecordsAfter returns the records committed after the first n.
func (m *Memory) RecordsAfter(n uint64) ([]Record, error) {
	entries, err := m.after(context.Background(), int64(n), -1)
	out := make([]Record, len(entries))
	for i, e := range entries {
		out[i] = e.Record
	}
	return out, err
}

// InputsFrom returns the inputs logged when the engine had handled n
// inputs or more.
func (m *Memory) InputsFrom(n uint64) ([]Input, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Input
	for _, in := range m.inputs {
		if in.Before >= n {
			out = append(out, in)
		}
	}
	return out, nil
}

// OpenCursors returns the store's cursors, kept in memory.
func (m *Memory) OpenCursors() (Cursors, error) { return &m.cursors, nil }

// memoryCursors are the delivery cursors of a Memory store.
type memoryCursors struct {
	mu  sync.Mutex
	seq map[string]int64
}

// Cursors returns every cursor.
func (c *memoryCursors) Cursors(context.Context) (map[string]int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.seq), nil
}

// AddCursor starts the cursor of listener at seq, unless it has one.
func (c *memoryCursors) AddCursor(_ context.Context, listener string, seq int64) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if at, ok := c.seq[listener]; ok {
		return at, nil
	}
	c.set(listener, seq)
	return seq, nil
}

// SetCursor moves the cursor of listener to seq.
func (c *memoryCursors) SetCursor(_ context.Context, listener string, seq int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.set(listener, seq)
	return nil
}

func (c *memoryCursors) set(listener string, seq int64) {
	if c.seq == nil {
		c.seq = map[string]int64{}
	}
	c.seq[listener] = seq
}

// MoveCursor moves the cursor of listener to seq if it has one.
func (c *memoryCursors) MoveCursor(_ context.Context, listener string, seq int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seq[listener]; ok {
		c.seq[listener] = seq
	}
	return nil
}

// MoveCursors moves the cursors of listeners forward to seq.
func (c *memoryCursors) MoveCursors(_ context.Context, listeners []string, seq int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range listeners {
		if at, ok := c.seq[l]; ok && at < seq {
			c.seq[l] = seq
		}
	}
	return nil
}

// DeleteCursor forgets the cursor of listener.
func (c *memoryCursors) DeleteCursor(_ context.Context, listener string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.seq, listener)
	return nil
}

// Close does nothing: the cursors stay with the store.
func (c *memoryCursors) Close() error { return nil }

package system

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Node is a built node, or what wraps one (a scenario's system).
type Node interface {
	Node() *System
}

// Node is s itself.
func (s *System) Node() *System { return s }

// Replay builds a node on a durable store with build (given the journal
// and input log to build on) and brings it to where the store stands: from
// its latest snapshot, replaying only the inputs logged after it, or from
// T+0 when it has none (or one this build cannot read: then the whole
// input log is replayed, and the journal checked all the same). peers are
// the node's peer links, which live on across the attempts.
func Replay[N Node](ctx context.Context, st store.Durable, peers map[engine.Address]engine.Peer,
	build func(store.Journal, store.InputLog) (N, error), log *slog.Logger) (N, error) {
	var none N
	snap, ok, err := st.LatestSnapshot()
	if err != nil {
		return none, err
	}
	if !ok {
		return ReplayFrom(ctx, st, build, nil, log)
	}
	// The peer links live on across the attempts: a replay from T+0 must
	// find them as they were.
	links := map[engine.Address][]byte{}
	for a, p := range peers {
		if s, ok := p.(engine.Snapshotter); ok {
			if links[a], err = s.Snapshot(); err != nil {
				return none, err
			}
		}
	}
	n, err := ReplayFrom(ctx, st, build, &snap, log)
	if err == nil || ctx.Err() != nil {
		return n, err
	}
	log.Warn("the latest snapshot cannot be used; trying a replay from T+0 (a compacted store cannot: it then stops, saying how to go on)", "inputs", snap.Inputs, "err", err.Error())
	for a, b := range links {
		if err := peers[a].(engine.Snapshotter).Restore(b); err != nil {
			return none, err
		}
	}
	unusable := err
	n, err = ReplayFrom(ctx, st, build, nil, log)
	var compacted store.Compacted
	if errors.As(err, &compacted) {
		return none, &SnapshotNeededError{Inputs: snap.Inputs, Records: snap.Records, At: snap.At, Unusable: unusable, Compacted: compacted}
	}
	return n, err
}

// SnapshotNeededError is a restart that cannot go on: the latest snapshot
// cannot be used (Unusable: a scenario edited since, a build that saves
// otherwise), and the replay from T+0 that would take its place cannot
// read the beginning of the store, which a compaction moved into an
// archive (Compacted). Either the snapshot is made usable again (served
// with the scenario and build that wrote it), or the archive's records go
// back into the store first.
type SnapshotNeededError struct {
	// The snapshot's place: the inputs handled and the records committed
	// before it, and its virtual time.
	Inputs, Records uint64
	At              time.Duration
	Unusable        error
	Compacted       store.Compacted
}

func (e *SnapshotNeededError) Error() string {
	return fmt.Sprintf("the latest snapshot (after %d inputs and %d records, at %s) cannot be used: %v; without it a restart replays from T+0, which needs the records before it, but %v",
		e.Inputs, e.Records, tmf.FormatOffset(e.At), e.Unusable, e.Compacted)
}

// Unwrap gives both causes.
func (e *SnapshotNeededError) Unwrap() []error { return []error{e.Unusable, e.Compacted} }

// ReplayFrom builds a node on a durable store with build, restores snap
// (nil: none), and replays the inputs logged after it, each record checked
// against the journal.
func ReplayFrom[N Node](ctx context.Context, st store.Durable, build func(store.Journal, store.InputLog) (N, error),
	snap *store.Snapshot, log *slog.Logger) (N, error) {
	var none N
	began := time.Now()
	var from store.Snapshot
	if snap != nil {
		from = *snap
	}
	held, err := st.RecordsAfter(from.Records)
	if err != nil {
		return none, err
	}
	inputs, err := st.InputsFrom(from.Inputs)
	if err != nil {
		return none, err
	}
	n, err := replayCut(ctx, st, build, store.Cut{Snapshot: snap, Records: held, Inputs: inputs}, nil)
	if err != nil {
		return none, err
	}
	if snap != nil || len(held) > 0 || len(inputs) > 0 {
		log.Info("resumed", "snapshot", snap != nil, "fromInput", from.Inputs, "records", len(held), "commands", len(inputs),
			"inputs", n.Node().Engine.Processed(), "took", time.Since(began).String())
	}
	return n, nil
}

// replayCut builds a node on st with build, restores the cut's snapshot
// and replays its inputs, each record checked against its records: all
// of them, or up to the point to (engine.ReplayTo) when it is set.
func replayCut[N Node](ctx context.Context, st store.Durable, build func(store.Journal, store.InputLog) (N, error),
	cut store.Cut, to *store.Snapshot) (N, error) {
	var none N
	journal := store.Resume(st, cut.Records)
	n, err := build(journal, st)
	if err != nil {
		return none, err
	}
	e := n.Node().Engine
	if cut.Snapshot != nil {
		if err := e.Restore(*cut.Snapshot); err != nil {
			return none, err
		}
	}
	switch {
	case to != nil:
		err = e.ReplayTo(ctx, cut.Inputs, *to)
	case len(cut.Records) > 0 || len(cut.Inputs) > 0:
		err = e.Replay(ctx, cut.Inputs, journal.Caught)
	}
	return n, err
}

// TakeSnapshot takes the snapshot of a node at a point its serving engine
// marked (engine.SnapshotPolicy.Take) without stopping it, in a process
// beside it: it builds the node with build on the store, frozen
// (store.Freeze: this process writes nothing), and rebuilds the state the
// engine had at the point from the latest snapshot, replaying what
// followed and checking every record against the journal as a restart
// does (store.Cutter: the store holds the point's commit), then encodes
// it. The writer keeps it (store.Snapshots).
func TakeSnapshot[N Node](ctx context.Context, st store.Durable, build func(store.Journal, store.InputLog) (N, error), at store.Snapshot) (store.Snapshot, error) {
	cutter, ok := st.(store.Cutter)
	if !ok {
		return store.Snapshot{}, fmt.Errorf("take snapshot: the store (%T) cannot be read beside its writer", st)
	}
	cut, err := cutter.Cut()
	if err != nil {
		return store.Snapshot{}, fmt.Errorf("take snapshot: %w", err)
	}
	var from store.Snapshot
	if cut.Snapshot != nil {
		from = *cut.Snapshot
	}
	switch {
	case from.Inputs > at.Inputs:
		return store.Snapshot{}, fmt.Errorf("take snapshot at input %d: the latest snapshot is after it, at %d", at.Inputs, from.Inputs)
	case from.Records+uint64(len(cut.Records)) < at.Records:
		return store.Snapshot{}, fmt.Errorf("take snapshot at input %d: the store holds %d records, not yet the %d made by then",
			at.Inputs, from.Records+uint64(len(cut.Records)), at.Records)
	}
	n, err := replayCut(ctx, store.Freeze(st), build, cut, &at)
	if err != nil {
		return store.Snapshot{}, fmt.Errorf("take snapshot at input %d: %w", at.Inputs, err)
	}
	return n.Node().Engine.Snapshot()
}

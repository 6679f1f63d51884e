package system

import (
	"context"
	"log/slog"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
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
	log.Warn("the latest snapshot cannot be used; replaying from T+0", "inputs", snap.Inputs, "err", err.Error())
	for a, b := range links {
		if err := peers[a].(engine.Snapshotter).Restore(b); err != nil {
			return none, err
		}
	}
	return ReplayFrom(ctx, st, build, nil, log)
}

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
	journal := store.Resume(st, held)
	n, err := build(journal, st)
	if err != nil {
		return none, err
	}
	e := n.Node().Engine
	if snap != nil {
		if err := e.Restore(*snap); err != nil {
			return none, err
		}
	}
	if len(held) > 0 || len(inputs) > 0 {
		if err := e.Replay(ctx, inputs, journal.Caught); err != nil {
			return none, err
		}
	}
	if snap != nil || len(held) > 0 || len(inputs) > 0 {
		log.Info("resumed", "snapshot", snap != nil, "fromInput", from.Inputs, "records", len(held), "commands", len(inputs),
			"inputs", e.Processed(), "took", time.Since(began).String())
	}
	return n, nil
}

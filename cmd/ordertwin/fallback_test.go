package main

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A store whose latest snapshot cannot be restored (a build that saves
// otherwise, a damaged body) still restarts: the snapshot is logged as
// unusable and the input log is replayed from T+0, each record checked
// against the journal, to the same orders (§2).
func TestRestartFallsBackFromABadSnapshot(t *testing.T) {
	sc, err := scenarios.Load(example)
	require.NoError(t, err)
	db := filepath.Join(t.TempDir(), "serve.db")
	quiet := slog.New(slog.DiscardHandler)
	co := serveClockOptions{scale: 1e9, scaleSet: true, approvals: "twin"} // T+30 days in a few milliseconds
	sys, st, _, err := resume(context.Background(), sc, db, co, scenarios.Options{}, quiet)
	require.NoError(t, err)
	require.NoError(t, sys.Engine.RunUntil(context.Background(), 30*24*time.Hour))
	want := map[string]string{}
	for _, po := range sys.COM.Orders() {
		want[po.ID] = po.State
	}
	require.NotEmpty(t, want)
	snap, err := sys.Engine.Snapshot()
	require.NoError(t, err)
	require.NoError(t, st.SaveSnapshot(store.Snapshot{Inputs: snap.Inputs, Records: snap.Records, At: snap.At, Body: []byte("not a snapshot")}))
	require.NoError(t, st.Close())

	var logs bytes.Buffer
	again, st, _, err := resume(context.Background(), sc, db, co, scenarios.Options{}, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	defer st.Close()
	assert.Contains(t, logs.String(), "the latest snapshot cannot be used; trying a replay from T+0")
	assert.Contains(t, logs.String(), "snapshot=false")
	got := map[string]string{}
	for _, po := range again.COM.Orders() {
		got[po.ID] = po.State
	}
	assert.Equal(t, want, got)
}

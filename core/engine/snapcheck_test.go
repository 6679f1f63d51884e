package engine

import (
	"context"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A snapshot this build restores passes the check, naming its parts; one
// that does not decode, is cut short, runs on past its last part or is
// not the state its place says is refused, naming what is wrong (§2).
func TestCheckSnapshot(t *testing.T) {
	e := tickers(nil)
	require.NoError(t, e.RunUntil(context.Background(), 4*time.Minute))
	snap, err := e.Snapshot()
	require.NoError(t, err)
	parts, err := CheckSnapshot(snap)
	require.NoError(t, err)
	assert.Equal(t, []string{"COM"}, parts)
	require.NoError(t, tickers(nil).Restore(snap), "what passes restores")

	for _, c := range []struct {
		name string
		snap store.Snapshot
		want string
	}{
		{"not a snapshot", store.Snapshot{Inputs: snap.Inputs, Records: snap.Records, Body: []byte("not a snapshot")}, "the engine's state does not decode"},
		{"cut short", store.Snapshot{Inputs: snap.Inputs, Records: snap.Records, Body: snap.Body[:len(snap.Body)-1]}, "the state of COM is cut short"},
		{"bytes after", store.Snapshot{Inputs: snap.Inputs, Records: snap.Records, Body: append(append([]byte(nil), snap.Body...), 7)}, "1 bytes after the last part"},
		{"another place", store.Snapshot{Inputs: snap.Inputs + 1, Records: snap.Records, Body: snap.Body}, "not after"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := CheckSnapshot(c.snap)
			assert.ErrorContains(t, err, c.want)
		})
	}
}

package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/core/store/storetest"
	"github.com/ordertwin/ordertwin/scenarios"
)

// A server of one store refuses a shard's store, which its sharded
// deployment serves: it was accepted, and both servers wrote one journal
// (the deployment's commits then failed on duplicate keys).
func TestServeRefusesAShardsStore(t *testing.T) {
	sc, err := scenarios.Load("../../scenarios/globaltech-5site.yaml")
	require.NoError(t, err)
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "shard.db"), sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.SetMeta("shard", "0 of 6"))
	_, err = serveClock(st, sc, serveClockOptions{scale: 86400})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "it is the store of shard 0 of 6 of a sharded deployment")
	_, err = serveClock(st, sc, serveClockOptions{scale: 86400, shard: true})
	assert.NoError(t, err, "the deployment serves it")
}

// An instance that serves another scenario than its deployment, or gives
// another --scale, is refused as it starts: it joined, counted as a
// member, and each shard it later took refused it and was let go, its
// shards stranded. What it does not give it takes from the deployment.
func TestShardInstanceSettingsMustMatch(t *testing.T) {
	url := storetest.Postgres(t)
	ctx := context.Background()
	open := func(owner string) *postgres.Cluster {
		c, err := postgres.OpenCluster(url, 2, owner)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	gt, err := scenarios.Load("../../scenarios/globaltech-5site.yaml")
	require.NoError(t, err)
	other, err := scenarios.Load("../../scenarios/meridian-8site.yaml")
	require.NoError(t, err)
	first := shardServe{sc: gt, co: serveClockOptions{scale: 86400, retention: 7 * 24 * time.Hour, approvals: "twin"}}
	require.NoError(t, settle(ctx, open("a"), first))

	same := first
	same.co.scale, same.co.retention = 3600, time.Hour // not given: the deployment's
	require.NoError(t, settle(ctx, open("b"), same))

	wrong := first
	wrong.sc = other
	err = settle(ctx, open("c"), wrong)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `it serves "GlobalTech Solutions — Enterprise Fibre Connect Gold, 5 sites", not "`+other.Name+`"`)

	faster := first
	faster.co.scale, faster.co.scaleSet = 3600, true
	err = settle(ctx, open("d"), faster)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "its --scale is 86400, not 3600")
}

// A server warns of the first rate card whose validity virtual time will
// pass soon at its scale: quotes on it are then rejected.
func TestCardsLeft(t *testing.T) {
	sc, err := scenarios.Load("../../scenarios/live/default.yaml")
	require.NoError(t, err)
	// The catalog's cards end 2030-12-31; the scenario starts 2024-06-03:
	// 2,403 days of virtual time, 40 minutes at a day a second.
	card, last, left, ok := cardsLeft(sc, engine.ClockState{Scale: 86400})
	require.True(t, ok)
	assert.Equal(t, "2030-12-31", last)
	assert.NotEmpty(t, card)
	assert.InDelta(t, (2403 * time.Second).Seconds(), left.Seconds(), 1)
	_, _, _, ok = cardsLeft(sc, engine.ClockState{Scale: 86400, Virtual: 2500 * 24 * time.Hour})
	assert.False(t, ok, "every card has ended")
	_, _, _, ok = cardsLeft(sc, engine.ClockState{Scale: 86400, Paused: true})
	assert.False(t, ok, "a paused clock passes nothing")
}

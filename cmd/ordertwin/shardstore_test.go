package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/store/sqlite"
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

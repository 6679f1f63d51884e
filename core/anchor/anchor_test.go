package anchor_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/anchor"
	"github.com/ordertwin/ordertwin/core/anchor/anchortest"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const secret = "3c5e16b4f2ba1a3e2c2a0e43c0ab1bb5b2bcbbec2b9e5f3d5d1f0a1c2d3e4f50"

// The head a verification found goes to every relay given, signed; a
// relay that cannot be reached is an error of its own and does not stop
// the others.
func TestPublishHead(t *testing.T) {
	file := filepath.Join(t.TempDir(), "journal.db")
	st, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	require.NoError(t, st.Append([]store.Record{{Kind: "quote", Entity: "QT-001", To: "inProgress", Event: "create"}}))
	require.NoError(t, st.Close())
	a, err := sqlite.Verify(context.Background(), file, nil)
	require.NoError(t, err)

	ev, err := anchor.Event(secret, a, "journal.db", time.Date(2025, 2, 3, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	one, two := anchortest.NewRelay(t), anchortest.NewRelay(t)
	gone := anchortest.NewRelay(t)
	gone.Close()
	errs := anchor.Publish(context.Background(), []string{one.URL(), gone.URL(), two.URL()}, ev, 5*time.Second)
	require.Len(t, errs, 3)
	assert.NoError(t, errs[0])
	assert.ErrorContains(t, errs[1], "relay "+gone.URL())
	assert.NoError(t, errs[2])
	for _, r := range []*anchortest.Relay{one, two} {
		got := r.Events()
		require.Len(t, got, 1)
		assert.Equal(t, anchor.Kind, got[0].Kind)
		assert.Equal(t, a.Head.String(), got[0].Tags.GetFirst([]string{"head", ""}).Value())
		assert.Equal(t, "1", got[0].Tags.GetFirst([]string{"records", ""}).Value())
		ok, err := got[0].CheckSignature()
		require.NoError(t, err)
		assert.True(t, ok)
	}
	forged := ev
	forged.Content = "another store"
	errs = anchor.Publish(context.Background(), []string{one.URL()}, forged, 5*time.Second)
	assert.ErrorContains(t, errs[0], "bad id or signature", "a relay's refusal is an error")
	assert.Len(t, one.Events(), 1)
}

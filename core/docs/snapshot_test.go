package docs

import (
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Documents restored from a snapshot are the same documents, ids, keys,
// numbering and quota included, and snapshot to the same bytes whatever
// the order of their maps.
func TestDocsSnapshot(t *testing.T) {
	mem := store.NewMemory()
	e := engine.New(engine.Options{Store: mem})
	d := New(tmf.IDSpace{})
	e.Handle(engine.Docs, d)
	for i, msg := range []any{
		Put{Collection: "hub", Prefix: "HUB", Body: []byte(`{"callback":"http://a","query":"x&y<z","n":1.5e300}`), Key: "k1"},
		Put{Collection: "hub", Prefix: "HUB", Body: []byte(`{"callback":"http://b","owner":"ann"}`), Key: "k2", Limit: &Limit{Field: "owner", Max: 2}},
		Put{Collection: "productOffering", Prefix: "POF", Body: []byte(`{"name":"a","z":{"b":[1,"two",null,{"c":true}],"a":{}}}`)},
		Patch{Collection: "productOffering", ID: "POF-001", Body: []byte(`{"name":"b"}`)},
		Delete{Collection: "hub", ID: "HUB-001"},
		Put{Collection: "resource", Prefix: "RES", Body: []byte(`{}`)},
		Delete{Collection: "resource", ID: "RES-001"},
	} {
		e.Inject(time.Duration(i)*time.Minute, engine.Docs, msg)
	}
	require.NoError(t, e.Run(t.Context()))
	b, err := d.Snapshot()
	require.NoError(t, err)
	for range 5 { // map order varies from one run to the next
		again, err := d.Snapshot()
		require.NoError(t, err)
		require.Equal(t, b, again)
	}

	r := New(tmf.IDSpace{})
	require.NoError(t, r.Restore(b))
	b2, err := r.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, b, b2)
	for _, c := range []string{"hub", "productOffering", "resource"} {
		assert.Equal(t, d.List(c), r.List(c), c)
	}
	assert.NotNil(t, r.List("resource"), "an emptied collection is still there")
	assert.Nil(t, r.ByKey("hub", "k1"), "its document was deleted")
	assert.Equal(t, "HUB-002", r.ByKey("hub", "k2").ID)
	assert.Equal(t, 3*time.Minute, r.Get("productOffering", "POF-001").Updated)

	// The restored component goes on numbering and refusing as the first.
	e2 := engine.New(engine.Options{})
	e2.Handle(engine.Docs, r)
	for _, msg := range []any{
		Put{Collection: "hub", Prefix: "HUB", Body: []byte(`{"owner":"ann"}`), Limit: &Limit{Field: "owner", Max: 2}},
		Put{Collection: "hub", Prefix: "HUB", Body: []byte(`{"owner":"ann"}`), Limit: &Limit{Field: "owner", Max: 2}},
		Put{Collection: "hub", Prefix: "HUB", Body: []byte(`{}`), Key: "k1"},
	} {
		e2.Inject(0, engine.Docs, msg)
	}
	require.NoError(t, e2.Run(t.Context()))
	require.NotNil(t, r.Get("hub", "HUB-003"), "numbered after the restored ones")
	assert.Nil(t, r.Get("hub", "HUB-004"), "ann holds two: the second Put was refused")
	assert.Len(t, r.List("hub"), 2, "the key of a deleted document makes nothing")

	require.EqualError(t, r.Restore(b), "docs restore: there are documents already")
	require.ErrorContains(t, New(tmf.IDSpace{}).Restore([]byte("junk")), "docs restore")
}

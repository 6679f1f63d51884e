package docs

import (
	"context"
	"encoding/json"
	"testing"
	"testing/synctest"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RFC 7386 §3's example: null removes, objects merge, the rest replaces.
func TestMerge(t *testing.T) {
	var target, patch, want map[string]any
	require.NoError(t, json.Unmarshal([]byte(`{"title":"Goodbye!","author":{"givenName":"John","familyName":"Doe"},"tags":["example","sample"],"content":"This will be unchanged"}`), &target))
	require.NoError(t, json.Unmarshal([]byte(`{"title":"Hello!","phoneNumber":"+01-123-456-7890","author":{"familyName":null},"tags":["example"]}`), &patch))
	require.NoError(t, json.Unmarshal([]byte(`{"title":"Hello!","author":{"givenName":"John"},"tags":["example"],"content":"This will be unchanged","phoneNumber":"+01-123-456-7890"}`), &want))
	Merge(target, patch)
	assert.Equal(t, want, target)
}

// Documents get their ids in order, merge patches keep the id, a deleted
// document is gone, and each change is journalled; a missing document or
// a body that is not an object is an error that changes nothing.
func TestDocs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := store.NewMemory()
		e := engine.New(engine.Options{Store: mem})
		d := New(tmf.IDSpace{})
		e.Handle(engine.Docs, d)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- e.Serve(ctx) }()
		var replies []Result
		for _, msg := range []any{
			Put{Collection: "productOffering", Prefix: "POF", Body: []byte(`{"id":"mine","name":"a"}`)},
			Put{Collection: "productOffering", Prefix: "POF", Body: []byte(`{"name":"b"}`)},
			Patch{Collection: "productOffering", ID: "POF-001", Body: []byte(`{"id":"x","name":"a2"}`)},
			Delete{Collection: "productOffering", ID: "POF-002"},
			Delete{Collection: "productOffering", ID: "POF-002"},
			Put{Collection: "productOffering", Prefix: "POF", Body: []byte(`[1]`)},
		} {
			r, err := e.Command(ctx, engine.Docs, msg)
			require.NoError(t, err)
			replies = append(replies, r.(Result))
		}
		assert.Equal(t, "POF-001", replies[0].Doc.ID)
		assert.Equal(t, "POF-001", replies[0].Doc.Body["id"])
		assert.Equal(t, "POF-002", replies[1].Doc.ID)
		assert.Equal(t, map[string]any{"id": "POF-001", "name": "a2"}, replies[2].Doc.Body)
		require.NoError(t, replies[3].Err)
		assert.ErrorIs(t, replies[4].Err, ErrNotFound)
		assert.ErrorIs(t, replies[5].Err, ErrInvalid)
		var list []*Doc
		require.NoError(t, e.Query(ctx, func() { list = d.List("productOffering") }))
		require.Len(t, list, 1)
		assert.Equal(t, "a2", list[0].Body["name"])
		assert.Equal(t, 4, mem.Len(), "created ×2, updated, deleted")
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	})
}

// A Put with a Limit is refused (ErrLimit) once the collection holds Max
// documents of the same owner, and journals nothing; other owners, and
// documents without the field (owner ""), count apart.
func TestPutLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := store.NewMemory()
		e := engine.New(engine.Options{Store: mem})
		e.Handle(engine.Docs, New(tmf.IDSpace{}))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- e.Serve(ctx) }()
		put := func(body string) error {
			r, err := e.Command(ctx, engine.Docs, Put{Collection: "hub", Prefix: "HUB", Body: []byte(body),
				Limit: &Limit{Field: "tenant", Max: 2}})
			require.NoError(t, err)
			return r.(Result).Err
		}
		require.NoError(t, put(`{"tenant":"acme"}`))
		require.NoError(t, put(`{"tenant":"acme"}`))
		err := put(`{"tenant":"acme"}`)
		assert.ErrorIs(t, err, ErrLimit)
		assert.ErrorContains(t, err, `hub: tenant "acme" holds 2, the most allowed`)
		assert.NoError(t, put(`{"tenant":"globex"}`))
		assert.NoError(t, put(`{}`))
		assert.NoError(t, put(`{"tenant":""}`))
		assert.ErrorIs(t, put(`{}`), ErrLimit)
		assert.Equal(t, 5, mem.Len())
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	})
}

// A shard of a deployment numbers its documents in its own space, apart
// from every other shard's (they were PSD-001 in each shard); an id
// given keeps the next ones above it.
func TestDocsOfAShard(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := engine.New(engine.Options{Store: store.NewMemory()})
		e.Handle(engine.Docs, New(tmf.IDSpace{Shards: 4, Shard: 2}))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- e.Serve(ctx) }()
		var ids []string
		for _, msg := range []Put{
			{Collection: "productSpecification", Prefix: "PSD", Body: []byte(`{"name":"a"}`)},
			{Collection: "productSpecification", Prefix: "PSD", Body: []byte(`{"name":"b"}`)},
			{Collection: "productSpecification", Prefix: "PSD", ID: "PSD-009", Body: []byte(`{"name":"c"}`)},
			{Collection: "productSpecification", Prefix: "PSD", Body: []byte(`{"name":"d"}`)},
		} {
			r, err := e.Command(ctx, engine.Docs, msg)
			require.NoError(t, err)
			require.NoError(t, r.(Result).Err)
			ids = append(ids, r.(Result).Doc.ID)
		}
		assert.Equal(t, []string{"PSD-003", "PSD-007", "PSD-009", "PSD-011"}, ids)
		for _, id := range ids {
			if id != "PSD-009" {
				shard, _ := tmf.ShardOf(id, 4)
				assert.Equal(t, 2, shard, id)
			}
		}
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	})
}

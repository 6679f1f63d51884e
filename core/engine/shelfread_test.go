package engine

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// put shelves a doc; get reads one back and records what it read.
type (
	put struct{ ID, Body string }
	get struct{ ID string }
)

// librarian shelves and reads docs of kind "note".
type librarian struct{ read []string }

func (l *librarian) Handle(_ time.Duration, msg any, out *Out) {
	switch m := msg.(type) {
	case put:
		out.Shelve(store.Doc{Kind: "note", ID: m.ID, Body: []byte(m.Body)})
		if m.Body == "twice" {
			body, _ := out.Unshelve("note", m.ID) // this step's own doc
			l.read = append(l.read, string(body))
		}
		out.Reply("ok")
	case get:
		body, ok := out.Unshelve("note", m.ID)
		if !ok {
			body = []byte("(none)")
		}
		l.read = append(l.read, string(body))
		out.Record(store.Record{Kind: "note", Entity: m.ID, To: string(body)})
		out.Reply(string(body))
	}
}

// A step reads the shelf as the components left it (its own docs not yet
// committed included), and each read is logged with the inputs: a replay
// hands each step the doc it read, not the store's later one, and stops
// when a step does not read what the log says.
func TestUnshelveIsReplayed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		codec := NewCodec(put{}, get{})
		mem := store.NewMemory()
		start := time.Now()
		first := &librarian{}
		e := New(Options{Clock: &Wall{Start: start, Scale: 3600}, Store: mem, Log: mem, Codec: codec})
		e.Handle(COM, first)
		stop := serve(t, e)
		for _, cmd := range []any{get{"n1"}, put{"n1", "first"}, get{"n1"}, put{"n2", "twice"}} {
			_, err := e.Command(context.Background(), COM, cmd)
			require.NoError(t, err)
		}
		synctest.Wait()
		stop()
		assert.Equal(t, []string{"(none)", "first", "twice"}, first.read)
		logged := mem.Inputs()
		reads := 0
		for _, in := range logged {
			if in.Kind == shelfRead {
				reads++
			}
		}
		assert.Equal(t, 3, reads, "each read is in the input log")

		// The store's shelf has moved on since: the replay reads what the
		// run read.
		require.NoError(t, mem.Shelve([]store.Doc{{Kind: "note", ID: "n1", Body: []byte("later")}}))
		held := mem.Records()
		again := &librarian{}
		resumed := store.Resume(mem, held)
		r := New(Options{Clock: &Wall{Start: start, Scale: 3600}, Store: resumed, Codec: codec})
		r.Handle(COM, again)
		require.NoError(t, r.Replay(context.Background(), logged, resumed.Caught))
		stop = serve(t, r) // the last input wrote no record: the serving handles it
		synctest.Wait()
		stop()
		assert.Equal(t, first.read, again.read)

		// A step that reads another doc than the log says stops the replay.
		var other []store.Input
		for _, in := range logged {
			if in.Kind != shelfRead {
				other = append(other, in)
				continue
			}
			var rd shelfReading
			require.NoError(t, DecodeState(in.Body, &rd))
			rd.ID = "n9"
			in.Body, _ = EncodeState(&rd)
			other = append(other, in)
		}
		resumed = store.Resume(mem, held)
		r = New(Options{Clock: &Wall{Start: start, Scale: 3600}, Store: resumed, Codec: codec})
		r.Handle(COM, &librarian{})
		err := r.Replay(context.Background(), other, resumed.Caught)
		require.Error(t, err, "the replay diverges")
		assert.Contains(t, err.Error(), "the step reads note n1 from the shelf, the log note n9")
	})
}

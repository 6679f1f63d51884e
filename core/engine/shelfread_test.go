package engine

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// put shelves a doc, listing Items; get reads one back and records what
// it read; owner reads the id of the doc that lists Item.
type (
	put struct {
		ID, Body string
		Items    []string
	}
	get   struct{ ID string }
	owner struct{ Item string }
	// keyed looks for the doc that lists Key, then reads ID.
	keyed struct{ Key, ID string }
)

// librarian shelves and reads docs of kind "note"; one that knows (a
// later build's) does not look for the keys it knows are not shelved.
type librarian struct {
	read  []string
	knows bool
}

func (l *librarian) Handle(_ time.Duration, msg any, out *Out) {
	switch m := msg.(type) {
	case put:
		out.Shelve(store.Doc{Kind: "note", ID: m.ID, Body: []byte(m.Body), Items: m.Items})
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
	case keyed:
		if !l.knows {
			out.ShelvedOwner("note", m.Key)
		}
		body, _ := out.Unshelve("note", m.ID)
		l.read = append(l.read, string(body))
		out.Record(store.Record{Kind: "note", Entity: m.ID, To: string(body)})
		out.Reply(string(body))
	case owner:
		id, ok := out.ShelvedOwner("note", m.Item)
		if !ok {
			id = "(none)"
		}
		l.read = append(l.read, m.Item+": "+id)
		out.Record(store.Record{Kind: "note", Entity: m.Item, To: id})
		out.Reply(id)
	}
}

// librarianCodec knows the librarian's messages.
func librarianCodec() *Codec { return NewCodec(put{}, get{}, owner{}, keyed{}) }

// lend has a librarian take cmds, on a serving engine started at start
// whose store and input log are mem, and returns it once they are handled.
// Call it in a synctest bubble.
func lend(t *testing.T, mem *store.Memory, start time.Time, codec *Codec, cmds ...any) *librarian {
	t.Helper()
	l := &librarian{}
	e := New(Options{Clock: &Wall{Start: start, Scale: 3600}, Store: mem, Log: mem, Codec: codec})
	e.Handle(COM, l)
	stop := serve(t, e)
	for _, cmd := range cmds {
		_, err := e.Command(context.Background(), COM, cmd)
		require.NoError(t, err)
	}
	synctest.Wait()
	stop()
	return l
}

// A step reads the shelf as the components left it (its own docs not yet
// committed included), and each read is logged with the inputs: a replay
// hands each step the doc it read, not the store's later one, and stops
// when a step does not read what the log says.
func TestUnshelveIsReplayed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		codec, mem, start := librarianCodec(), store.NewMemory(), time.Now()
		first := lend(t, mem, start, codec, get{"n1"}, owner{"k1"}, put{"n1", "first", []string{"k1"}}, get{"n1"}, owner{"k1"},
			put{"n2", "twice", nil})
		assert.Equal(t, []string{"(none)", "k1: (none)", "first", "k1: n1", "twice"}, first.read)
		logged := mem.Inputs()
		reads := 0
		for _, in := range logged {
			if in.Kind == shelfRead {
				reads++
			}
		}
		assert.Equal(t, 5, reads, "each read is in the input log")

		// The store's shelf has moved on since: the replay reads what the
		// run read.
		require.NoError(t, mem.Shelve([]store.Doc{{Kind: "note", ID: "n1", Body: []byte("later")},
			{Kind: "note", ID: "n0", Items: []string{"k1"}}}))
		held := mem.Records()
		again := &librarian{}
		resumed := store.Resume(mem, held)
		r := New(Options{Clock: &Wall{Start: start, Scale: 3600}, Store: resumed, Codec: codec})
		r.Handle(COM, again)
		require.NoError(t, r.Replay(context.Background(), logged, resumed.Caught))
		stop := serve(t, r) // the last input wrote no record: the serving handles it
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

// A replay on a later build that no longer looks for an item the log says
// was not on the shelf (a key it knows never left memory) goes on to the
// step's next read, the one logged after it.
func TestReplaySkipsAnAbsentItemNotLookedFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		codec, mem, start := librarianCodec(), store.NewMemory(), time.Now()
		first := lend(t, mem, start, codec, put{"n1", "first", nil}, keyed{"k9", "n1"})
		logged := mem.Inputs()

		require.NoError(t, mem.Shelve([]store.Doc{{Kind: "note", ID: "n1", Body: []byte("later")}}))
		held := mem.Records()
		later := &librarian{knows: true}
		resumed := store.Resume(mem, held)
		r := New(Options{Clock: &Wall{Start: start, Scale: 3600}, Store: resumed, Codec: codec})
		r.Handle(COM, later)
		require.NoError(t, r.Replay(context.Background(), logged, resumed.Caught))
		assert.Equal(t, first.read, later.read, "the doc the run read, not the store's later one")
		assert.Equal(t, []string{"first"}, later.read)
	})
}

// gatedShelf is a store whose shelvings wait until open is closed.
type gatedShelf struct {
	*store.Memory
	open chan struct{}
}

func (g gatedShelf) Shelve(docs []store.Doc) error {
	<-g.open
	return g.Memory.Shelve(docs)
}

// A read of the shelf does not wait for the commits in flight: a doc
// handed to the committer and not yet committed is read from the batch
// that holds it. Here the first shelving cannot end before the doc it
// holds is read: an engine that waited for it would never read it.
func TestShelfReadDoesNotWaitForCommits(t *testing.T) {
	const instants = 1000
	g := gatedShelf{Memory: store.NewMemory(), open: make(chan struct{})}
	clock := &present{at: instants * time.Hour} // every input is due already
	e := New(Options{Clock: clock, Store: g})
	var read []string
	var flying int
	e.Handle(COM, recorder{log: new([]string), then: func(now time.Duration, msg any, out *Out) {
		switch m := msg.(type) {
		case put:
			out.Shelve(store.Doc{Kind: "note", ID: m.ID, Body: []byte(m.Body), Items: m.Items})
		case owner:
			flying = len(e.committer.flying)
			id, _ := out.ShelvedOwner("note", m.Item)
			body, _ := out.Unshelve("note", id)
			read = append(read, id, string(body))
			close(g.open)
		}
	}})
	e.Inject(time.Minute, COM, put{"n1", "first", []string{"k1"}})
	for i := 2; i < instants; i++ {
		e.Inject(time.Duration(i)*time.Minute, COM, put{fmt.Sprintf("n%d", i), "more", nil})
	}
	e.Inject(instants*time.Minute, COM, owner{"k1"})
	done := make(chan error, 1)
	go func() { done <- e.Run(context.Background()) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the engine waited for a commit to read the shelf")
	}
	assert.Equal(t, 1, flying, "the doc was in a batch handed to the committer when it was read")
	assert.Equal(t, []string{"n1", "first"}, read)
	d, ok, err := g.Owner("note", "k1")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "n1", d)
}

// failingShelf is a store whose shelf reads fail while down is set (its
// database unreachable).
type failingShelf struct {
	*store.Memory
	down *bool
}

func (f failingShelf) Shelved(kind, id string) (store.Doc, bool, error) {
	if *f.down {
		return store.Doc{}, false, fmt.Errorf("shelf: connection refused")
	}
	return f.Memory.Shelved(kind, id)
}

// A read of the shelf that fails refuses the step's input, and is logged:
// a replay once the store answers again refuses it the same way, where it
// read the store and took another path, and no restart could get past it.
func TestFailedShelfReadIsReplayed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		codec := NewCodec(put{}, get{}, owner{})
		mem := store.NewMemory()
		down := true
		start := time.Now()
		e := New(Options{Clock: &Wall{Start: start, Scale: 3600}, Store: failingShelf{mem, &down}, Log: mem, Codec: codec})
		first := &librarian{}
		e.Handle(COM, first)
		stop := serve(t, e)
		_, err := e.Command(context.Background(), COM, get{"n1"})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "connection refused")
		down = false
		_, err = e.Command(context.Background(), COM, get{"n1"})
		require.NoError(t, err)
		synctest.Wait()
		stop()
		held := mem.Records()
		require.NotEmpty(t, held)
		assert.Equal(t, "refused", held[0].Kind, "the first read's input refused")

		resumed := store.Resume(mem, held)
		again := &librarian{}
		r := New(Options{Clock: &Wall{Start: start, Scale: 3600}, Store: resumed, Codec: codec})
		r.Handle(COM, again)
		require.NoError(t, r.Replay(context.Background(), mem.Inputs(), resumed.Caught), "the replay refuses it again")
		assert.Equal(t, first.read, again.read)
	})
}

package engine

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ordertwin/ordertwin/core/store"
)

// A component reads what it shelved (Out.Shelve) with Out.Unshelve, in the
// middle of a step: an order that left memory, taken back for a change;
// and with Out.ShelvedOwner, which doc lists an item: what an idempotency
// key placed, once it left memory with it. The doc read is the latest the
// components shelved: one this step or an earlier one shelved that is not
// committed yet (waiting for the next hand-over, or handed over to the
// committer and not committed), else the store's. The read does not wait
// for the commits in flight: what they hold is read from them, and what
// the store holds was committed before (a batch leaves the engine's hands
// only once the committer says it is committed). The engine logs each read
// with the inputs, at the input being handled, committed with the records
// of the step; after a restart, the step handling that input again is
// handed the logged doc instead of reading the store, whose shelf may hold
// a later one by then. So a step that reads the shelf repeats exactly as
// it ran; one that reads another doc than the log says is an error.

// shelfRead is the input-log kind of a read of the shelf.
const shelfRead = "engine.shelfRead"

// shelfReading is a read of the shelf as the input log keeps it: of the
// doc of Kind and ID (its Body), or, when Item is set, of the id of the
// doc of Kind that lists Item (ID). Err is the store's error when the read
// failed (a database unreachable): the step failed with it, and replayed
// fails with it again, whatever the store answers by then.
type shelfReading struct {
	Kind, ID string
	Item     string
	Found    bool
	Body     []byte
	Err      string
}

// errShelfRead is a read of the shelf that failed, as the log keeps it.
type errShelfRead struct{ msg string }

func (e errShelfRead) Error() string { return e.msg }

// Unshelve returns the latest doc of kind and id on the shelf; ok is false
// when there is none. A read that fails (the store's fault) is the step's
// error.
func (o *Out) Unshelve(kind, id string) (body []byte, ok bool) {
	e := o.engine
	if e == nil {
		o.Error(errors.New("unshelve: the output of no engine"))
		return nil, false
	}
	r, err := e.readShelf(shelfReading{Kind: kind, ID: id}, o.docs)
	if err != nil {
		o.Error(fmt.Errorf("unshelve %s %s: %w", kind, id, err))
		return nil, false
	}
	return r.Body, r.Found
}

// ShelvedOwner returns the id of the latest doc of kind on the shelf whose
// Items list item (store.Shelf.Owner); ok is false when there is none. A
// read that fails (the store's fault) is the step's error.
func (o *Out) ShelvedOwner(kind, item string) (id string, ok bool) {
	e := o.engine
	if e == nil {
		o.Error(errors.New("shelved owner: the output of no engine"))
		return "", false
	}
	r, err := e.readShelf(shelfReading{Kind: kind, Item: item}, o.docs)
	if err != nil || !r.Found {
		if err != nil {
			o.Error(fmt.Errorf("shelved owner of %s in %s: %w", item, kind, err))
		}
		return "", false
	}
	return r.ID, true
}

// CheckedOwner is ShelvedOwner for a command's check (Around.Check), on
// the engine's goroutine as the check runs: the read is not logged (a
// check is not replayed: the command it refuses is not logged either),
// and sees the docs shelved and not yet committed.
func (e *Engine) CheckedOwner(kind, item string) (id string, ok bool, err error) {
	q := shelfReading{Kind: kind, Item: item}
	if d, found := e.unstored(q, nil); found {
		return d.ID, true, nil
	}
	if e.shelf == nil {
		return "", false, nil
	}
	return e.shelf.Owner(kind, item)
}

// ExternalIDItem is the item that the doc of an order placed through the
// API with externalID lists on the shelf (store.Doc.Items), so that the
// order is found by it once it left memory (ShelvedByExternalID).
func ExternalIDItem(externalID string) string { return "externalId " + externalID }

// ShelvedByExternalID returns the id of the order of kind on the shelf
// placed with externalID (ExternalIDItem), "" for none or no externalID.
func (o *Out) ShelvedByExternalID(kind, externalID string) string {
	if externalID == "" {
		return ""
	}
	id, _ := o.ShelvedOwner(kind, ExternalIDItem(externalID))
	return id
}

// readShelf reads (or, replaying, takes from the log) what q asks for,
// the doc of q.Kind and q.ID or the owner of q.Item, and logs the read;
// docs are those the step shelved so far.
func (e *Engine) readShelf(q shelfReading, docs []store.Doc) (shelfReading, error) {
	for logged := e.reads[e.processed]; len(logged) > 0; logged = e.reads[e.processed] {
		if len(logged) == 1 {
			delete(e.reads, e.processed)
		} else {
			e.reads[e.processed] = logged[1:]
		}
		var r shelfReading
		if err := DecodeState(logged[0].Body, &r); err != nil {
			return r, fmt.Errorf("replay: the logged read: %w", err)
		}
		if r.Kind != q.Kind || r.Item != q.Item || (q.Item == "" && r.ID != q.ID) {
			if r.Item != "" && !r.Found && r.Err == "" {
				// An earlier build looked for an item that was not on
				// the shelf, which this one knows without reading (an
				// idempotency key that never left memory:
				// com.keyFilter): the step goes on to its next read.
				continue
			}
			return r, fmt.Errorf("replay: the step reads %s from the shelf, the log %s", q.what(), r.what())
		}
		if r.Err != "" {
			return r, errShelfRead{r.Err}
		}
		return r, nil
	}
	r := q
	if d, ok := e.unstored(q, docs); ok {
		r.Found, r.ID = true, d.ID
		if q.Item == "" {
			r.Body = d.Whole()
		}
	} else if e.shelf != nil {
		var err error
		if q.Item != "" {
			var id string
			if id, r.Found, err = e.shelf.Owner(q.Kind, q.Item); r.Found {
				r.ID = id // else a store may name a doc it did not find
			}
		} else {
			var d store.Doc
			d, r.Found, err = e.shelf.Shelved(q.Kind, q.ID)
			r.Body = d.Body
		}
		if err != nil {
			// Logged too: the step fails with it (its input refused), and
			// a replay must fail it the same way, not read the store
			// again once it answers.
			r.Found, r.ID, r.Body, r.Err = false, q.ID, nil, err.Error()
			if lerr := e.logRead(r); lerr != nil {
				return r, lerr
			}
			return r, err
		}
	}
	return r, e.logRead(r)
}

// what names what r reads.
func (r shelfReading) what() string {
	if r.Item != "" {
		return fmt.Sprintf("the %s of %s", r.Kind, r.Item)
	}
	return r.Kind + " " + r.ID
}

// unstored is the latest doc q asks for among those shelved and not yet
// committed: docs, the step's, then those waiting for the next hand-over,
// then those handed over to the committer.
func (e *Engine) unstored(q shelfReading, docs []store.Doc) (store.Doc, bool) {
	if d, ok := latestDoc(docs, q); ok {
		return d, true
	}
	if d, ok := latestDoc(e.shelving, q); ok {
		return d, true
	}
	if c := e.committer; c != nil {
		for i := len(c.flying) - 1; i >= 0; i-- {
			if d, ok := latestDoc(c.flying[i], q); ok {
				return d, true
			}
		}
	}
	return store.Doc{}, false
}

// latestDoc is the last doc in docs that q asks for.
func latestDoc(docs []store.Doc, q shelfReading) (store.Doc, bool) {
	for i := len(docs) - 1; i >= 0; i-- {
		d := &docs[i]
		if d.Kind == q.Kind && (q.Item == "" && d.ID == q.ID || q.Item != "" && slices.Contains(d.Items, q.Item)) {
			return *d, true
		}
	}
	return store.Doc{}, false
}

// logRead keeps a read of the shelf in the input log, at the input being
// handled: with the step's records when they commit together (batch),
// else at once.
func (e *Engine) logRead(r shelfReading) error {
	if e.log == nil {
		return nil
	}
	body, err := EncodeState(&r)
	if err != nil {
		return err
	}
	in := store.Input{Before: e.processed, At: e.now, To: uint8(e.out.from), Kind: shelfRead, Body: body}
	if e.batch != nil {
		e.inputs = append(e.inputs, in)
		return nil
	}
	return e.log.LogInputs([]store.Input{in})
}

// takeReads sets aside the logged reads of the shelf for the steps that
// made them, by the input each was handling (whether the replay or the
// serving after it handles that input), and returns the other inputs.
func (e *Engine) takeReads(logged []store.Input) []store.Input {
	e.reads = map[uint64][]store.Input{}
	kept := logged[:0:0]
	for _, in := range logged {
		if in.Kind == shelfRead {
			e.reads[in.Before] = append(e.reads[in.Before], in)
			continue
		}
		kept = append(kept, in)
	}
	return kept
}

package engine

import (
	"errors"
	"fmt"

	"github.com/ordertwin/ordertwin/core/store"
)

// A component reads what it shelved (Out.Shelve) with Out.Unshelve, in the
// middle of a step: an order that left memory, taken back for a change.
// The doc read is the latest the components shelved: one this step or an
// earlier one shelved that is not committed yet, else the store's (after
// the commits handed over are done). The engine logs each read with the
// inputs, at the input being handled, committed with the records of the
// step; after a restart, the step handling that input again is handed the
// logged doc instead of reading the store, whose shelf may hold a later
// one by then. So a step that reads the shelf repeats exactly as it ran;
// one that reads another doc than the log says is an error.

// shelfRead is the input-log kind of a read of the shelf.
const shelfRead = "engine.shelfRead"

// shelfReading is a read of the shelf as the input log keeps it.
type shelfReading struct {
	Kind, ID string
	Found    bool
	Body     []byte
}

// Unshelve returns the latest doc of kind and id on the shelf; ok is false
// when there is none. A read that fails (the store's fault) is the step's
// error.
func (o *Out) Unshelve(kind, id string) (body []byte, ok bool) {
	e := o.engine
	if e == nil {
		o.Error(errors.New("unshelve: the output of no engine"))
		return nil, false
	}
	r, err := e.readShelf(kind, id, o.docs)
	if err != nil {
		o.Error(fmt.Errorf("unshelve %s %s: %w", kind, id, err))
		return nil, false
	}
	return r.Body, r.Found
}

// readShelf reads (or, replaying, takes from the log) the shelf's doc of
// kind and id, and logs the read; docs are those the step shelved so far.
func (e *Engine) readShelf(kind, id string, docs []store.Doc) (shelfReading, error) {
	if logged := e.reads[e.processed]; len(logged) > 0 {
		if len(logged) == 1 {
			delete(e.reads, e.processed)
		} else {
			e.reads[e.processed] = logged[1:]
		}
		var r shelfReading
		if err := DecodeState(logged[0].Body, &r); err != nil {
			return r, fmt.Errorf("replay: the logged read: %w", err)
		}
		if r.Kind != kind || r.ID != id {
			return r, fmt.Errorf("replay: the step reads %s %s from the shelf, the log %s %s", kind, id, r.Kind, r.ID)
		}
		return r, nil
	}
	r := shelfReading{Kind: kind, ID: id}
	if d, ok := latestDoc(docs, kind, id); ok {
		r.Found, r.Body = true, d.Whole()
	} else if d, ok := latestDoc(e.shelving, kind, id); ok {
		r.Found, r.Body = true, d.Whole()
	} else if e.shelf != nil {
		if err := e.sync(); err != nil {
			return r, err
		}
		d, found, err := e.shelf.Shelved(kind, id)
		if err != nil {
			return r, err
		}
		r.Found, r.Body = found, d.Body
	}
	return r, e.logRead(r)
}

// latestDoc is the last doc of kind and id in docs.
func latestDoc(docs []store.Doc, kind, id string) (store.Doc, bool) {
	for i := len(docs) - 1; i >= 0; i-- {
		if docs[i].Kind == kind && docs[i].ID == id {
			return docs[i], true
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

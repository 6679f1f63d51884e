// Package docs keeps the documents clients own: catalog entries designed
// through TMF620, resources registered through TMF639, hub listeners. It is
// a component of the engine like COM, SOM and ROM, so every change is an
// input: logged, replayed after a restart, journalled, answered only once
// committed. Documents are JSON objects; the component gives each its id,
// applies merge patches (RFC 7386) and keeps them in creation order.
package docs

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Put creates a document in Collection; its id is Prefix and a number
// (the body's own "id" is replaced).
type Put struct {
	Collection string
	Prefix     string
	Body       []byte
	// Key, when set, makes the request idempotent: a second Put with the
	// same key in the collection answers with the document the first
	// made (as it now is, if it still is), and changes nothing.
	Key string
	// Limit, when set, refuses the Put (ErrLimit) when the collection
	// holds Limit.Max documents of the same owner already.
	Limit *Limit
	// ID, when set, is the document's id, given elsewhere (a listener a
	// deployment of several shards registers in each, with the id its
	// first shard gave): refused (ErrConflict) when the collection has
	// one. Empty: the next id of Prefix.
	ID string
}

// Limit is a quota of documents per owner in a collection: the owner of
// a document is the string at Field of its body ("" when absent).
type Limit struct {
	Field string
	Max   int
}

// Patch merges Body into a document (RFC 7386 JSON merge patch); "id"
// cannot change.
type Patch struct {
	Collection string
	ID         string
	Body       []byte
}

// Delete removes a document.
type Delete struct {
	Collection string
	ID         string
}

// Doc is a document and when it was created and last changed (virtual
// time from T+0).
type Doc struct {
	ID      string
	Body    map[string]any
	Created time.Duration
	Updated time.Duration
}

// Result is the reply to a command: the document as it now is, or why
// nothing changed.
type Result struct {
	Doc *Doc
	Err error
	// Duplicate: the Put's key was seen; Doc is what the first made.
	Duplicate bool
}

// Errors callers branch on.
var (
	ErrNotFound = errors.New("no such document")
	ErrInvalid  = errors.New("not a JSON object")
	ErrLimit    = errors.New("quota reached")
	ErrConflict = errors.New("a document has that id")
)

// Docs is the component.
type Docs struct {
	colls map[string]*collection
	// ids are the numbers its documents' ids take: a shard's own, apart
	// from the other shards' of a deployment (the zero IDSpace: 1, 2, 3…).
	ids tmf.IDSpace
}

type collection struct {
	docs []*Doc
	byID map[string]*Doc
	// next is the highest number of an id of the collection's prefix.
	next int
	// byKey maps a Put's key to the id it made.
	byKey map[string]string
}

// New returns an empty component whose ids take the numbers of ids.
func New(ids tmf.IDSpace) *Docs { return &Docs{colls: map[string]*collection{}, ids: ids} }

func (d *Docs) coll(name string) *collection {
	c := d.colls[name]
	if c == nil {
		c = &collection{byID: map[string]*Doc{}, byKey: map[string]string{}}
		d.colls[name] = c
	}
	return c
}

// Handle implements engine.Handler.
func (d *Docs) Handle(now time.Duration, msg any, out *engine.Out) {
	switch m := msg.(type) {
	case Put:
		out.Reply(d.put(now, m, out))
	case Patch:
		out.Reply(d.patch(now, m, out))
	case Delete:
		out.Reply(d.delete(m, out))
	default:
		out.Error(fmt.Errorf("docs: unexpected input %T", msg))
	}
}

func (d *Docs) put(now time.Duration, m Put, out *engine.Out) Result {
	var body map[string]any
	if err := json.Unmarshal(m.Body, &body); err != nil || body == nil {
		return Result{Err: fmt.Errorf("%s: %w", m.Collection, ErrInvalid)}
	}
	c := d.coll(m.Collection)
	if id, ok := c.byKey[m.Key]; m.Key != "" && ok {
		if doc := c.byID[id]; doc != nil {
			return Result{Doc: doc.clone(), Duplicate: true}
		}
		return Result{Err: fmt.Errorf("%s %s, made for this key, was deleted: %w", m.Collection, id, ErrNotFound), Duplicate: true}
	}
	if l := m.Limit; l != nil {
		owner, _ := body[l.Field].(string)
		held := 0
		for _, doc := range c.docs {
			if o, _ := doc.Body[l.Field].(string); o == owner {
				held++
			}
		}
		if held >= l.Max {
			return Result{Err: fmt.Errorf("%s: %s %q holds %d, the most allowed: %w", m.Collection, l.Field, owner, held, ErrLimit)}
		}
	}
	id := m.ID
	if id == "" {
		c.next = d.ids.After(c.next)
		id = tmf.SeqID(m.Prefix, c.next)
	} else if c.byID[id] != nil {
		return Result{Err: fmt.Errorf("%s %s exists: %w", m.Collection, id, ErrConflict)}
	} else if strings.HasPrefix(id, m.Prefix+"-") {
		c.next = max(c.next, int(tmf.SeqOf(id))) // the ids it gives stay apart
	}
	doc := &Doc{ID: id, Body: body, Created: now, Updated: now}
	body["id"] = doc.ID
	c.docs = append(c.docs, doc)
	c.byID[doc.ID] = doc
	if m.Key != "" {
		c.byKey[m.Key] = doc.ID
	}
	out.Record(store.Record{Kind: m.Collection, Entity: doc.ID, System: "API", To: "created", Event: "create"})
	return Result{Doc: doc.clone()}
}

func (d *Docs) patch(now time.Duration, m Patch, out *engine.Out) Result {
	doc := d.coll(m.Collection).byID[m.ID]
	if doc == nil {
		return Result{Err: fmt.Errorf("%s %s: %w", m.Collection, m.ID, ErrNotFound)}
	}
	var patch map[string]any
	if err := json.Unmarshal(m.Body, &patch); err != nil || patch == nil {
		return Result{Err: fmt.Errorf("%s %s: patch: %w", m.Collection, m.ID, ErrInvalid)}
	}
	delete(patch, "id")
	Merge(doc.Body, patch)
	doc.Updated = now
	out.Record(store.Record{Kind: m.Collection, Entity: doc.ID, System: "API", To: "updated", Event: "patch"})
	return Result{Doc: doc.clone()}
}

func (d *Docs) delete(m Delete, out *engine.Out) Result {
	c := d.coll(m.Collection)
	doc := c.byID[m.ID]
	if doc == nil {
		return Result{Err: fmt.Errorf("%s %s: %w", m.Collection, m.ID, ErrNotFound)}
	}
	delete(c.byID, m.ID)
	c.docs = slices.DeleteFunc(c.docs, func(x *Doc) bool { return x == doc })
	out.Record(store.Record{Kind: m.Collection, Entity: doc.ID, System: "API", To: "deleted", Event: "delete"})
	return Result{Doc: doc}
}

// Get returns a copy of a document, or nil.
func (d *Docs) Get(collection, id string) *Doc {
	if c := d.colls[collection]; c != nil {
		if doc := c.byID[id]; doc != nil {
			return doc.clone()
		}
	}
	return nil
}

// ByKey returns a copy of the document a keyed Put made, or nil.
func (d *Docs) ByKey(collection, key string) *Doc {
	if c := d.colls[collection]; c != nil && key != "" {
		if id, ok := c.byKey[key]; ok {
			return d.Get(collection, id)
		}
	}
	return nil
}

// List returns copies of a collection's documents in creation order.
func (d *Docs) List(collection string) []*Doc {
	c := d.colls[collection]
	if c == nil {
		return nil
	}
	out := make([]*Doc, len(c.docs))
	for i, doc := range c.docs {
		out[i] = doc.clone()
	}
	return out
}

// clone copies a document deeply: callers on other goroutines keep it.
func (doc *Doc) clone() *Doc {
	c := *doc
	c.Body = cloneValue(doc.Body).(map[string]any)
	return &c
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = cloneValue(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = cloneValue(e)
		}
		return s
	}
	return v
}

// Merge applies an RFC 7386 merge patch to target: null removes a member,
// an object merges into an object, anything else replaces.
func Merge(target, patch map[string]any) {
	for k, v := range patch {
		switch pv := v.(type) {
		case nil:
			delete(target, k)
		case map[string]any:
			tv, ok := target[k].(map[string]any)
			if !ok {
				tv = map[string]any{}
			}
			Merge(tv, pv)
			target[k] = tv
		default:
			target[k] = cloneValue(v)
		}
	}
}

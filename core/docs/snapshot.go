package docs

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
)

// A snapshot of Docs keeps its collections sorted by name, each with its
// documents in creation order (bodies as JSON, whose objects have sorted
// keys), its counter and the keys of keyed Puts sorted. Restore rebuilds
// the indexes by id.

type savedDocs struct {
	Collections []savedCollection
}

type savedCollection struct {
	Name string
	Docs []savedDoc
	Next int
	Keys []savedKey
}

type savedDoc struct {
	ID               string
	Body             []byte
	Created, Updated time.Duration
}

type savedKey struct{ Key, ID string }

// Messages implements engine.Messages: the commands Docs takes.
func (d *Docs) Messages() []any { return []any{Put{}, Patch{}, Delete{}} }

// Snapshot implements engine.Snapshotter.
func (d *Docs) Snapshot() ([]byte, error) {
	var st savedDocs
	for name, c := range d.colls {
		sc := savedCollection{Name: name, Next: c.next, Docs: make([]savedDoc, len(c.docs))}
		for i, doc := range c.docs {
			body, err := json.Marshal(doc.Body)
			if err != nil {
				return nil, fmt.Errorf("docs snapshot: %s %s: %w", name, doc.ID, err)
			}
			sc.Docs[i] = savedDoc{ID: doc.ID, Body: body, Created: doc.Created, Updated: doc.Updated}
		}
		for k, id := range c.byKey {
			sc.Keys = append(sc.Keys, savedKey{k, id})
		}
		slices.SortFunc(sc.Keys, func(a, b savedKey) int { return strings.Compare(a.Key, b.Key) })
		st.Collections = append(st.Collections, sc)
	}
	slices.SortFunc(st.Collections, func(a, b savedCollection) int { return cmp.Compare(a.Name, b.Name) })
	b, err := engine.EncodeState(&st)
	if err != nil {
		return nil, fmt.Errorf("docs snapshot: %w", err)
	}
	return b, nil
}

// Restore implements engine.Snapshotter: Docs must be new.
func (d *Docs) Restore(state []byte) error {
	if len(d.colls) > 0 {
		return fmt.Errorf("docs restore: there are documents already")
	}
	var st savedDocs
	if err := engine.DecodeState(state, &st); err != nil {
		return fmt.Errorf("docs restore: %w", err)
	}
	for _, sc := range st.Collections {
		c := d.coll(sc.Name)
		c.next = sc.Next
		for _, sd := range sc.Docs {
			doc := &Doc{ID: sd.ID, Created: sd.Created, Updated: sd.Updated}
			if err := json.Unmarshal(sd.Body, &doc.Body); err != nil || doc.Body == nil {
				return fmt.Errorf("docs restore: %s %s: %w", sc.Name, sd.ID, ErrInvalid)
			}
			c.docs = append(c.docs, doc)
			c.byID[doc.ID] = doc
		}
		for _, k := range sc.Keys {
			c.byKey[k.Key] = k.ID
		}
	}
	return nil
}

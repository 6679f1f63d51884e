package store

import (
	"cmp"
	"slices"
	"strings"
	"sync"
)

// Doc is the read model of an entity that has left its component's
// memory: a finished order, kept as the APIs show it, so that they still
// answer for it.
type Doc struct {
	// Kind is the entity's kind ("serviceOrder", "resourceOrder"); ID its
	// id; Ord its creation number, by which lists keep their order.
	Kind string
	ID   string
	Ord  uint64
	// Party is the customer the entity names (on the wire, its
	// relatedParty of role customer; "" for none): a caller bound to a
	// party lists from the shelf the docs of its party only.
	Party string
	// Body is the entity, encoded by its component; after Head, when
	// there is one.
	Body []byte
	// Head, when not empty, is the first bytes of the entity's encoding,
	// which many docs of its kind share (a description of their types): the
	// encoding is Head followed by Body. It is shared, never changed. A
	// shelf that does not take heads (HeadShelf) is given Whole instead.
	Head []byte
	// Items are the ids of the entity's items: Owner finds the entity by
	// any of them. An item is the item of one entity of its kind: which
	// doc Owner names for an item that two docs of a kind list is not
	// defined. A doc shelved again keeps the items it listed before. The
	// SQLite store keeps items of consecutive numbers (ROI-007, ROI-008,
	// …) in one row: they are cheapest in that order.
	Items []string
}

// Whole returns the entity's encoding: Head followed by Body.
func (d Doc) Whole() []byte {
	if len(d.Head) == 0 {
		return d.Body
	}
	b := make([]byte, 0, len(d.Head)+len(d.Body))
	return append(append(b, d.Head...), d.Body...)
}

// Joined returns docs with their heads joined to their bodies (Whole):
// docs itself when none has a head.
func Joined(docs []Doc) []Doc {
	if !slices.ContainsFunc(docs, func(d Doc) bool { return len(d.Head) > 0 }) {
		return docs
	}
	out := make([]Doc, len(docs))
	for i, d := range docs {
		d.Body, d.Head = d.Whole(), nil
		out[i] = d
	}
	return out
}

// A HeadShelf is a shelf that takes docs with heads (Doc.Head), keeping
// what they share once: Shelve reads each head and never keeps it.
type HeadShelf interface {
	Shelf
	TakesHeads()
}

// Shelf keeps the read models of finished entities. Shelve is
// idempotent by kind and id (the last body stays), and durable on return.
type Shelf interface {
	Shelve(docs []Doc) error
	// Shelved returns the doc of kind and id, ok false when there is none.
	Shelved(kind, id string) (d Doc, ok bool, err error)
	// ShelvedAll returns the docs of kind, by Ord.
	ShelvedAll(kind string) ([]Doc, error)
	// Owner returns the id of the doc of kind one of whose Items is item,
	// ok false when there is none.
	Owner(kind, item string) (id string, ok bool, err error)
	// ShelvedRange returns, as the shelf is at one moment, the docs q
	// asks for by creation: how many there are, the ids and creation
	// numbers of those at positions [q.From, q.To), and the creation
	// numbers of those whose id is in q.IDs or whose creation number is
	// in q.Ords. It reads no doc's body: a list's page of finished
	// entities costs the page, not the shelf (ShelvedDocs then reads the
	// page's).
	ShelvedRange(q ShelfQuery) (ShelfRange, error)
	// ShelvedDocs returns the docs of kind with ids, in no given order;
	// an id the shelf does not hold is left out.
	ShelvedDocs(kind string, ids []string) ([]Doc, error)
	// ShelvedItems calls each with every item of the docs of kind (their
	// Items, as Owner finds them) that begins with prefix, which must not
	// end in a digit, in no given order, until it returns an error, which
	// ShelvedItems returns.
	ShelvedItems(kind, prefix string, each func(item string) error) error
}

// memoryShelf keeps the read models of a Memory store.
type memoryShelf struct {
	mu   sync.Mutex
	docs map[string]map[string]Doc
	// owners maps kind and item to the id of the doc it is an item of.
	owners map[[2]string]string
}

// Shelve keeps docs.
func (m *Memory) Shelve(docs []Doc) error {
	m.shelf.mu.Lock()
	defer m.shelf.mu.Unlock()
	if m.shelf.docs == nil {
		m.shelf.docs = map[string]map[string]Doc{}
	}
	for _, d := range docs {
		if m.shelf.docs[d.Kind] == nil {
			m.shelf.docs[d.Kind] = map[string]Doc{}
		}
		d.Body, d.Head, d.Items = slices.Clone(d.Whole()), nil, slices.Clone(d.Items)
		m.shelf.docs[d.Kind][d.ID] = d
		for _, it := range d.Items {
			if m.shelf.owners == nil {
				m.shelf.owners = map[[2]string]string{}
			}
			m.shelf.owners[[2]string{d.Kind, it}] = d.ID
		}
	}
	return nil
}

// TakesHeads: a Memory store keeps each doc's head and body joined.
func (m *Memory) TakesHeads() {}

// Owner returns the id of the doc of kind with item.
func (m *Memory) Owner(kind, item string) (string, bool, error) {
	m.shelf.mu.Lock()
	defer m.shelf.mu.Unlock()
	id, ok := m.shelf.owners[[2]string{kind, item}]
	return id, ok, nil
}

// Shelved returns the doc of kind and id.
func (m *Memory) Shelved(kind, id string) (Doc, bool, error) {
	m.shelf.mu.Lock()
	defer m.shelf.mu.Unlock()
	d, ok := m.shelf.docs[kind][id]
	return d, ok, nil
}

// ShelvedAll returns the docs of kind, by Ord.
func (m *Memory) ShelvedAll(kind string) ([]Doc, error) {
	m.shelf.mu.Lock()
	defer m.shelf.mu.Unlock()
	out := make([]Doc, 0, len(m.shelf.docs[kind]))
	for _, d := range m.shelf.docs[kind] {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Doc) int { return cmp.Compare(a.Ord, b.Ord) })
	return out, nil
}

// ShelvedItems calls each with the items of kind's docs that begin with
// prefix.
func (m *Memory) ShelvedItems(kind, prefix string, each func(string) error) error {
	m.shelf.mu.Lock()
	var items []string
	for k := range m.shelf.owners {
		if k[0] == kind && strings.HasPrefix(k[1], prefix) {
			items = append(items, k[1])
		}
	}
	m.shelf.mu.Unlock()
	for _, it := range items {
		if err := each(it); err != nil {
			return err
		}
	}
	return nil
}

// ShelfOf returns the shelf of j, or of the journal j resumes; ok false
// when it keeps none.
func ShelfOf(j Journal) (Shelf, bool) {
	if r, ok := j.(*Resumed); ok {
		j = r.Journal
	}
	s, ok := j.(Shelf)
	return s, ok
}

// ShelfQuery is what Shelf.ShelvedRange reads: the docs of Kind (of
// Party only, when ByParty).
type ShelfQuery struct {
	Kind     string
	Party    string
	ByParty  bool
	From, To int
	IDs      []string
	Ords     []uint64
}

// Keeps tells whether q asks for a doc of kind and party.
func (q ShelfQuery) Keeps(kind, party string) bool {
	return kind == q.Kind && (!q.ByParty || party == q.Party)
}

// ShelfRange is what Shelf.ShelvedRange read.
type ShelfRange struct {
	// Total is how many docs of the kind the shelf holds.
	Total int
	// Refs are the docs at the positions asked, by creation.
	Refs []DocRef
	// Matched are the creation numbers of the docs asked for by id or
	// creation number, in increasing order.
	Matched []uint64
}

// DocRef names a doc on the shelf.
type DocRef struct {
	ID  string
	Ord uint64
}

// ShelvedRange reads a part of the docs q asks for (Shelf).
func (m *Memory) ShelvedRange(q ShelfQuery) (ShelfRange, error) {
	all, err := m.ShelvedAll(q.Kind)
	if err != nil {
		return ShelfRange{}, err
	}
	all = slices.DeleteFunc(all, func(d Doc) bool { return !q.Keeps(d.Kind, d.Party) })
	r := ShelfRange{Total: len(all)}
	from := min(max(q.From, 0), len(all))
	for _, d := range all[from:max(from, min(q.To, len(all)))] {
		r.Refs = append(r.Refs, DocRef{ID: d.ID, Ord: d.Ord})
	}
	byID, byOrd := setOf(q.IDs), setOf(q.Ords)
	for _, d := range all {
		if byID[d.ID] || byOrd[d.Ord] {
			r.Matched = append(r.Matched, d.Ord)
		}
	}
	return r, nil
}

// ShelvedDocs returns the docs of kind with ids (Shelf).
func (m *Memory) ShelvedDocs(kind string, ids []string) ([]Doc, error) {
	m.shelf.mu.Lock()
	defer m.shelf.mu.Unlock()
	var out []Doc
	for _, id := range ids {
		if d, ok := m.shelf.docs[kind][id]; ok {
			out = append(out, d)
		}
	}
	return out, nil
}

// setOf is the set of vs.
func setOf[K comparable](vs []K) map[K]bool {
	set := make(map[K]bool, len(vs))
	for _, v := range vs {
		set[v] = true
	}
	return set
}

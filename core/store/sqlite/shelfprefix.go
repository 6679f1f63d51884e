package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"github.com/ordertwin/ordertwin/core/store"
	"maps"
	"sync"
)

// minSharedPrefix is the fewest leading bytes worth keeping once for
// many bodies.
const minSharedPrefix = 64

// sharedPrefix is, for one kind of doc, the prefix (a shelf_prefix row)
// its bodies are shelved after, and the last body shelved whole, from
// which the next prefix is taken.
type sharedPrefix struct {
	pid   int64
	bytes []byte
	whole []byte
}

// prefixes is what the writer knows of the kinds' prefixes, changed
// only by a shelving that commits.
type prefixes map[string]sharedPrefix

// share returns the prefix (its pid, 0 for none) and the rest of body, a
// doc of kind's: the bytes body shares with the kind's prefix, or with the
// last body of the kind shelved whole, are kept once (in a shelf_prefix
// row written in tx). The prefix only ever shortens, to what the bodies
// still share, or is dropped when they share too little.
func (p prefixes) share(tx *sql.Tx, kind string, body []byte) (int64, []byte, error) {
	sp := p[kind]
	if sp.pid != 0 && bytes.HasPrefix(body, sp.bytes) {
		return sp.pid, body[len(sp.bytes):], nil
	}
	from := sp.bytes
	if sp.pid == 0 {
		from = sp.whole
	}
	n := commonPrefix(from, body)
	if n < minSharedPrefix {
		p[kind] = sharedPrefix{whole: bytes.Clone(body)}
		return 0, body, nil
	}
	var pid int64
	if err := tx.QueryRow(`INSERT INTO shelf_prefix (bytes) VALUES (?) RETURNING pid`, body[:n]).Scan(&pid); err != nil {
		return 0, nil, fmt.Errorf("shelf prefix: %w", err)
	}
	p[kind] = sharedPrefix{pid: pid, bytes: bytes.Clone(body[:n])}
	return pid, body[n:], nil
}

// shareHead is share for a body given as head and rest (store.Doc's Head
// and Body): when the kind's prefix begins the two, what follows it is
// taken without joining them.
func (p prefixes) shareHead(tx *sql.Tx, kind string, head, body []byte) (int64, []byte, error) {
	if len(head) == 0 {
		return p.share(tx, kind, body)
	}
	if sp := p[kind]; sp.pid != 0 {
		n := len(sp.bytes)
		if n <= len(head) && bytes.HasPrefix(head, sp.bytes) {
			rest := make([]byte, 0, len(head)-n+len(body))
			return sp.pid, append(append(rest, head[n:]...), body...), nil
		}
		if n > len(head) && bytes.HasPrefix(sp.bytes, head) && bytes.HasPrefix(body, sp.bytes[len(head):]) {
			return sp.pid, body[n-len(head):], nil
		}
	}
	return p.share(tx, kind, store.Doc{Head: head, Body: body}.Whole())
}

// commonPrefix is the length of what a and b begin with alike.
func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// prefixCache keeps the prefixes the readers met: a shelf_prefix row
// never changes.
type prefixCache struct {
	mu    sync.Mutex
	bytes map[int64][]byte
}

// whole returns the body a shelf row keeps as prefix pid and rest,
// squeezed how.
func (s *Store) whole(pid int64, how squeeze, rest []byte) ([]byte, error) {
	return s.wholeIn(s.reader, pid, how, rest)
}

// wholeIn is whole, reading a prefix not met yet with q (the readers'
// pool, or a transaction on it).
func (s *Store) wholeIn(q rowQuerier, pid int64, how squeeze, rest []byte) ([]byte, error) {
	if pid == 0 {
		return unsqueezed(how, nil, rest)
	}
	c := &s.prefixCache
	c.mu.Lock()
	p, ok := c.bytes[pid]
	c.mu.Unlock()
	if !ok {
		if err := q.QueryRowContext(context.Background(), `SELECT bytes FROM shelf_prefix WHERE pid = ?`, pid).Scan(&p); err != nil {
			return nil, fmt.Errorf("shelf prefix %d: %w", pid, err)
		}
		c.mu.Lock()
		if c.bytes == nil {
			c.bytes = map[int64][]byte{}
		}
		c.bytes[pid] = p
		c.mu.Unlock()
	}
	return unsqueezed(how, p, rest)
}

// clone returns a copy of p for a shelving to change.
func (p prefixes) clone() prefixes {
	if p == nil {
		return prefixes{}
	}
	return maps.Clone(p)
}

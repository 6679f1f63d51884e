package store

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// §7 a doc given in two (Head, Body) is whole joined; Joined gives a
// shelf that takes no heads (PostgreSQL's) each doc whole, without a head,
// and leaves the docs given unchanged; docs without heads are given as
// they are.
func TestDocHeads(t *testing.T) {
	head := []byte("types;")
	docs := []Doc{{Kind: "resource", ID: "R-1", Head: head, Body: []byte("one")}, {Kind: "resource", ID: "R-2", Body: []byte("two")}}
	assert.Equal(t, "types;one", string(docs[0].Whole()))
	assert.Equal(t, "two", string(docs[1].Whole()))
	joined := Joined(docs)
	assert.Equal(t, "types;one", string(joined[0].Body))
	assert.Empty(t, joined[0].Head)
	assert.Equal(t, "two", string(joined[1].Body))
	assert.Equal(t, "one", string(docs[0].Body), "the docs given are not changed")
	assert.Equal(t, "types;", string(docs[0].Head))
	plain := docs[1:]
	assert.Same(t, &plain[0], &Joined(plain)[0], "no head: the same docs")
}

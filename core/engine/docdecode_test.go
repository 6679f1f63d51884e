package engine

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type docItem struct {
	ID    string
	Chars map[string]string
}

type docOrder struct {
	ID    string
	Items []docItem
	N     int
}

// docOrderIDs reads the id and the count alone of a docOrder's encoding.
type docOrderIDs struct {
	ID string
	N  int
}

// DecodeDoc reads what DecodeState reads, doc after doc with decoders that
// have read the head already: docs of several types and heads (two
// Shelvers that met their types in other orders), one encoding into two Go
// types; a doc that is not what a kept decoder reads gets a fresh
// decoder's error, and the decoders go on.
func TestDecodeDoc(t *testing.T) {
	var first, second Shelver
	var docs [][]byte
	var want []any
	for i := range 20 {
		o := &docOrder{ID: fmt.Sprintf("SO-%03d", i), N: i, Items: []docItem{{ID: "a", Chars: map[string]string{"k": fmt.Sprint(i)}}}}
		it := &docItem{ID: fmt.Sprintf("item %d", i)}
		for _, p := range []struct {
			s *Shelver
			v any
		}{{&first, o}, {&first, it}, {&second, it}, {&second, o}} {
			head, body, err := p.s.Doc(p.v)
			require.NoError(t, err)
			docs = append(docs, store.Doc{Head: head, Body: body}.Whole())
			want = append(want, p.v)
		}
	}
	for round := range 2 {
		for i, b := range docs {
			got := reflect.New(reflect.TypeOf(want[i]).Elem())
			require.NoError(t, DecodeDoc(b, got.Interface()), "doc %d, round %d", i, round)
			assert.Equal(t, want[i], got.Interface(), "doc %d, round %d", i, round)
			if o, ok := want[i].(*docOrder); ok {
				var ids docOrderIDs
				require.NoError(t, DecodeDoc(b, &ids))
				assert.Equal(t, docOrderIDs{o.ID, o.N}, ids)
			}
		}
	}
	docDecoders.mu.Lock()
	kept := len(docDecoders.idle[reflect.TypeFor[*docOrder]()])
	docDecoders.mu.Unlock()
	assert.Equal(t, 2, kept, "a decoder for each head docOrder has: the first Shelver's, the second's")

	cut := docs[0][:len(docs[0])-1]
	var o docOrder
	err := DecodeDoc(cut, &o)
	require.Error(t, err)
	assert.Equal(t, DecodeState(cut, &docOrder{}).Error(), err.Error())
	var bad struct{ ID int }
	assert.Error(t, DecodeDoc(docs[0], &bad), "an id is no int")
	var back docOrder
	require.NoError(t, DecodeDoc(docs[4], &back))
	assert.Equal(t, want[4], &back)
	assert.Equal(t, "SO-001", back.ID)
	require.NoError(t, DecodeDoc(slices.Clone(docs[8]), &back))
	assert.Equal(t, "SO-002", back.ID)
}

// BenchmarkDecodeDoc decodes docs of one type, as an API listing finished
// orders does: DecodeDoc against a fresh decoder a doc (DecodeState).
func BenchmarkDecodeDoc(b *testing.B) {
	var s Shelver
	var docs [][]byte
	for i := range 100 {
		head, body, err := s.Doc(&docOrder{ID: fmt.Sprintf("SO-%03d", i), N: i, Items: []docItem{{ID: "a", Chars: map[string]string{"k": "v"}}}})
		require.NoError(b, err)
		docs = append(docs, store.Doc{Head: head, Body: body}.Whole())
	}
	for _, c := range []struct {
		name   string
		decode func([]byte, any) error
	}{{"kept", DecodeDoc}, {"fresh", DecodeState}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				var o docOrder
				if err := c.decode(docs[i%len(docs)], &o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

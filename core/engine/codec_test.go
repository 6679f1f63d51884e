package engine

import (
	"bytes"
	"encoding/gob"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type codecLine struct {
	Site  string
	Mbps  int
	Notes []string
}

type codecOrder struct {
	ID    string
	Lines []codecLine
	At    map[string]int
}

// The codec describes a type once and keeps the description, yet each body
// is the very stream a fresh encoder writes, and decodes alone, whatever
// was encoded before it.
func TestCodecBodiesAreWholeStreams(t *testing.T) {
	c := NewCodec(codecOrder{}, codecLine{})
	msgs := []any{
		codecOrder{ID: "PO-1", Lines: []codecLine{{Site: "MELB", Mbps: 500, Notes: []string{"a"}}}, At: map[string]int{"x": 1}},
		codecLine{Site: "SYD", Mbps: 1000},
		codecOrder{ID: "PO-2"},
		codecOrder{ID: "PO-3", Lines: []codecLine{{Site: "PER"}, {Site: "ADL", Mbps: 50}}},
	}
	for _, msg := range msgs {
		kind, body, err := c.Encode(msg)
		require.NoError(t, err)
		var fresh bytes.Buffer
		require.NoError(t, gob.NewEncoder(&fresh).Encode(msg))
		assert.Equal(t, fresh.Bytes(), body, "%s %v", kind, msg)
		back, err := c.Decode(kind, body)
		require.NoError(t, err)
		assert.Equal(t, msg, back)
	}
	_, _, err := c.Encode(struct{ X int }{1})
	assert.ErrorIs(t, err, ErrNotCommand)
}

type codecEnvelope struct {
	To  string
	Msg any
}

type codecInner struct{ Msg any }

func init() {
	gob.Register(codecInner{})
	gob.Register(codecLine{})
}

// A type that holds interfaces (a peer's delivery): gob describes the
// types an interface holds inside the message that first holds them, so
// every body still decodes alone, the first and those after it.
func TestCodecBodiesOfInterfaces(t *testing.T) {
	c := NewCodec(codecEnvelope{})
	msgs := []any{
		codecEnvelope{To: "SOM", Msg: codecInner{Msg: codecLine{Site: "MELB", Mbps: 500}}},
		codecEnvelope{To: "ROM", Msg: codecInner{Msg: codecLine{Site: "SYD"}}},
		codecEnvelope{To: "COM", Msg: codecLine{Site: "PER"}},
	}
	for _, msg := range msgs {
		kind, body, err := c.Encode(msg)
		require.NoError(t, err)
		back, err := c.Decode(kind, body)
		require.NoError(t, err, "%v", msg)
		assert.Equal(t, msg, back)
	}
}

package tmf630_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
)

// refuser refuses "no" and panics on "boom".
type refuser struct{}

func (refuser) Handle(_ time.Duration, msg any, out *engine.Out) {
	switch msg {
	case "no":
		out.Error(errors.New("no, because"))
	case "boom":
		var items []int
		_ = items[len(msg.(string))] // out of range: the product's bug
	}
}

// A refused command is a 409 giving the reason; one its component
// panicked on is a 500 that names the component and nothing of the
// code (the journal keeps where it panicked).
func TestCommandRefusedOrPanicked(t *testing.T) {
	mem := store.NewMemory()
	e := engine.New(engine.Options{Clock: &engine.Wall{Start: time.Now(), Scale: 1}, Store: mem, Log: mem, Codec: engine.NewCodec("")})
	e.Handle(engine.COM, refuser{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	n := &tmf630.Node{Engine: e}

	_, te := n.Command(context.Background(), engine.COM, "no")
	require.NotNil(t, te)
	assert.Equal(t, "409", te.Status)
	assert.Contains(t, te.Message, "no, because")

	_, te = n.Command(context.Background(), engine.COM, "boom")
	require.NotNil(t, te)
	assert.Equal(t, "500", te.Status)
	assert.Contains(t, te.Message, "COM could not apply it")
	assert.NotContains(t, te.Message, "panic")
	assert.NotContains(t, te.Message, "github.com")
	var journalled string
	for _, r := range mem.Records() {
		if r.Kind == engine.Refused {
			journalled = r.Reason
		}
	}
	assert.Contains(t, journalled, "panic in", "the journal keeps where")
}

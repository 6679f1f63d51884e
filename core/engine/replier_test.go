package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An adapter's caller is found again by the name its replier gives
// (port.Named): an answer through the replier found reaches the same
// component, as a restored twin answers a call made before the restart.
func TestReplierByName(t *testing.T) {
	e := New(Options{})
	var log []string
	e.Handle(ROM, recorder{log: &log})
	r := e.Replier("ROM")
	require.NotNil(t, r)
	named, ok := r.(port.Named)
	require.True(t, ok, "the engine's repliers have names")
	assert.Equal(t, "ROM", named.ReplyTo())
	assert.Equal(t, "COM", e.Replier("COM").(port.Named).ReplyTo())
	assert.Nil(t, e.Replier("nobody"), "no component of that name")
	assert.Nil(t, e.Replier(""))

	r.Reply(time.Hour, &port.Result{Key: "ROI-001/commit/1", Final: true})
	require.NoError(t, e.Run(context.Background()))
	require.Len(t, log, 1)
	assert.Contains(t, log[0], "1h0m0s &{ROI-001/commit/1", "ROM takes the answer at its time")
}

// recycling is an adapter that answers at once and logs the answers
// handed back to it.
type recycling struct{ log *[]string }

func (a recycling) Call(now time.Duration, req *port.Request, reply port.Replier) {
	reply.Reply(now, &port.Result{Key: req.Key, System: req.System, Op: req.Op, Final: true})
}

func (a recycling) Recycle(msg any) { *a.log = append(*a.log, "recycled "+msg.(*port.Result).Key) }

// An answer goes back to its adapter, a Recycler, once the component it is
// for has handled it, and only then; an adapter that is no Recycler keeps
// none.
func TestRecyclerTakesAnswersBackOnceHandled(t *testing.T) {
	e := New(Options{})
	var log []string
	e.Handle(ROM, recorder{log: &log, then: func(_ time.Duration, msg any, out *Out) {
		if _, ok := msg.(string); ok {
			out.Call(port.Request{Key: "ROI-001/reserve/1", System: "inventory", Op: port.Reserve})
			out.Call(port.Request{Key: "ROI-002/reserve/1", System: "billing", Op: port.Reserve})
		}
	}})
	e.Attach(recycling{log: &log}, "inventory")
	e.Attach(answering{}, "billing")
	e.Inject(0, ROM, "start")
	require.NoError(t, e.Run(context.Background()))
	require.Len(t, log, 4)
	assert.Equal(t, "0s start", log[0])
	assert.Contains(t, log[1], "0s &{ROI-001/reserve/1")
	assert.Equal(t, "recycled ROI-001/reserve/1", log[2], "handed back right after ROM handled it")
	assert.Contains(t, log[3], "0s &{ROI-002/reserve/1", "and the other adapter's answer is not handed back")
}

// answering is an adapter that answers at once and takes nothing back.
type answering struct{}

func (answering) Call(now time.Duration, req *port.Request, reply port.Replier) {
	reply.Reply(now, &port.Result{Key: req.Key, System: req.System, Op: req.Op, Final: true})
}

// sender is a component that sends a message to ROM and logs what is
// handed back to it.
type sender struct{ log *[]string }

func (s sender) Handle(_ time.Duration, msg any, out *Out) {
	out.Send(ROM, 0, "news")
	out.Send(ROM, time.Hour, msg)
}

func (s sender) Recycle(msg any) { *s.log = append(*s.log, fmt.Sprintf("recycled %v", msg)) }

// A message a component sent goes back to it, a Recycler, once ROM has
// handled it; an input injected from outside goes back to no one.
func TestRecyclerTakesSentMessagesBackOnceHandled(t *testing.T) {
	e := New(Options{})
	var log []string
	e.Handle(SOM, sender{log: &log})
	e.Handle(ROM, recorder{log: &log})
	e.Inject(0, SOM, "timer")
	e.Inject(2*time.Hour, ROM, "from outside")
	require.NoError(t, e.Run(context.Background()))
	assert.Equal(t, []string{"0s news", "recycled news", "1h0m0s timer", "recycled timer", "2h0m0s from outside"}, log)
}

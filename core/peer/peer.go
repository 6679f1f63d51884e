// Package peer lets COM, SOM and ROM run as separate processes (docs/architecture.md
// §1). A component's messages for a component elsewhere leave through an
// engine.Peer once committed, numbered by their sender; the receiving
// process takes each as a Delivery, logged like any command, and its
// Inbox hands it once to its component: a message sent again (a retry, a
// replay after the sender restarted) is dropped. Together: at least once
// on the wire, exactly once into the component, in order.
package peer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
)

// Delivery is a message from a component in another process.
type Delivery struct {
	// From names the sending process's stream (com→som, som→com, …); Seq
	// numbers the stream's messages from 1.
	From string
	Seq  uint64
	To   engine.Address
	Msg  any
}

// Taken is the Inbox's reply: false when it had the delivery already.
type Taken bool

// Inbox is the component at engine.Peers.
type Inbox struct {
	last map[string]uint64
}

// NewInbox returns an inbox that has had nothing.
func NewInbox() *Inbox { return &Inbox{last: map[string]uint64{}} }

// Handle implements engine.Handler. A delivery out of order (a gap) is
// refused with an error reply: the sender sends in order and retries, so
// a gap means a message was lost on the way, and taking the next would
// break the order per entity.
func (in *Inbox) Handle(_ time.Duration, msg any, out *engine.Out) {
	d, ok := msg.(Delivery)
	if !ok {
		out.Error(fmt.Errorf("peers: unexpected input %T", msg))
		return
	}
	switch last := in.last[d.From]; {
	case d.Seq <= last:
		out.Reply(Taken(false))
	case d.Seq > last+1:
		out.Reply(fmt.Errorf("peer stream %s: message %d came before %d", d.From, d.Seq, last+1))
	default:
		in.last[d.From] = d.Seq
		out.Send(d.To, 0, d.Msg)
		out.Reply(Taken(true))
	}
}

// Last is the number of the last message taken from stream from.
func (in *Inbox) Last(from string) uint64 { return in.last[from] }

// savedStream is the last message taken from a stream, in a snapshot.
type savedStream struct {
	From string
	Last uint64
}

// Messages implements engine.Messages.
func (in *Inbox) Messages() []any { return []any{Delivery{}} }

// Snapshot implements engine.Snapshotter: the last message taken from each
// stream, the streams sorted by name.
func (in *Inbox) Snapshot() ([]byte, error) {
	streams := make([]savedStream, 0, len(in.last))
	for from, last := range in.last {
		streams = append(streams, savedStream{from, last})
	}
	slices.SortFunc(streams, func(a, b savedStream) int { return strings.Compare(a.From, b.From) })
	b, err := engine.EncodeState(streams)
	if err != nil {
		return nil, fmt.Errorf("peer inbox snapshot: %w", err)
	}
	return b, nil
}

// Restore implements engine.Snapshotter: the inbox must be new.
func (in *Inbox) Restore(state []byte) error {
	if len(in.last) > 0 {
		return fmt.Errorf("peer inbox restore: the inbox has had messages already")
	}
	var streams []savedStream
	if err := engine.DecodeState(state, &streams); err != nil {
		return fmt.Errorf("peer inbox restore: %w", err)
	}
	for _, s := range streams {
		in.last[s.From] = s.Last
	}
	return nil
}

package tmf630

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/docs"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/peer"
	"github.com/ordertwin/ordertwin/core/rom"
	"github.com/ordertwin/ordertwin/core/som"
	"github.com/ordertwin/ordertwin/core/store"
)

// Node is what the APIs' handlers reach of a serving engine: the engine,
// how long they wait for it, the calendar time of T+0, and the components
// this process runs (a nil one serves no API).
type Node struct {
	Engine *engine.Engine
	// Timeout bounds a read of the engine's state or a command, until what
	// it saw or did is committed; 0 means 10 seconds. Either is a 503 at
	// once when the engine has not taken it within its admission time
	// (engine.Limits).
	Timeout time.Duration
	// Epoch is the calendar time of T+0: dates on the wire are Epoch plus
	// the engine's virtual time, in UTC.
	Epoch   time.Time
	COM     *com.COM
	SOM     *som.SOM
	ROM     *rom.ROM
	Catalog *catalog.Catalog
	Docs    *docs.Docs
	// Inbox takes the messages of COM, SOM or ROM in other processes.
	Inbox *peer.Inbox
	// KnownAddress, when set, tells whether the network knows a street
	// address: a quote for an unknown one is refused at once.
	KnownAddress func(address string) bool
	// Shelf, when set, keeps the finished entities that have left the
	// components' memory (shelf.go); wires says how each kind goes on
	// the wire.
	Shelf store.Shelf
	wires map[string]func(store.Doc) (any, error)
}

// timeout is Timeout, or its default.
func (n *Node) timeout() time.Duration {
	if n.Timeout > 0 {
		return n.Timeout
	}
	return 10 * time.Second
}

// Read runs fn on the engine's goroutine, within the timeout.
func (n *Node) Read(ctx context.Context, fn func()) error {
	ctx, cancel := context.WithTimeout(ctx, n.timeout())
	defer cancel()
	return n.Engine.QueryAdmitted(ctx, fn)
}

// Date is a virtual time on the wire: n.Epoch plus d, in UTC, RFC 3339.
func (n *Node) Date(d time.Duration) string {
	return n.Epoch.Add(d).UTC().Format(time.RFC3339)
}

// Query runs fn on the engine's goroutine between two steps, within the
// read timeout (see engine.Query: fn copies what it needs). Its error is
// a 503 TMF Error with Retry-After.
func (n *Node) Query(ctx context.Context, fn func()) *Error {
	if err := n.Read(ctx, fn); err != nil {
		return Unavailable(err)
	}
	return nil
}

// Command hands msg to a component and waits for its reply, given once the
// change is durable (engine.Command). A command the component refused
// (engine.ErrRefused: it cannot be applied, and changed nothing but the
// journal's record of the refusal) is a 409 TMF Error with the reason. An
// engine that is behind or a store that cannot write refuse it at once,
// and a command not confirmed within the timeout is not waited for: each
// is a 503 TMF Error with Retry-After (Unavailable), and the client may
// retry with the same Idempotency-Key.
func (n *Node) Command(ctx context.Context, to engine.Address, msg any) (any, *Error) {
	return n.CommandWith(ctx, to, msg, engine.Around{})
}

// CommandWith is Command with a check before and a read after, made on
// the engine's goroutine (engine.Around): a failed check is the TMF Error
// it returned, or a 400 with its error, and the command changed nothing.
func (n *Node) CommandWith(ctx context.Context, to engine.Address, msg any, around engine.Around) (any, *Error) {
	ctx, cancel := context.WithTimeout(ctx, n.timeout())
	defer cancel()
	v, err := n.Engine.CommandWith(ctx, to, msg, around)
	if ce := (*engine.CheckError)(nil); errors.As(err, &ce) {
		if te := (*Error)(nil); errors.As(ce.Err, &te) {
			return nil, te // the check's own
		}
		return nil, NewError(http.StatusBadRequest, ce.Error())
	}
	if r := (*engine.Refusal)(nil); errors.As(err, &r) && r.Panicked {
		return nil, NewError(http.StatusInternalServerError, fmt.Sprintf("refused: %s could not apply it: an internal error, recorded in the server's log and journal", r.To))
	}
	if errors.Is(err, engine.ErrRefused) {
		return nil, NewError(http.StatusConflict, "refused: "+err.Error())
	}
	if err != nil {
		return nil, Unavailable(err)
	}
	return v, nil
}

// Seconds a client is told to wait (Retry-After) before it tries again:
// after a refusal for a store that cannot write, and after any other 503.
const (
	retryStore  = 5
	retryEngine = 1
)

// Unavailable is the 503 TMF Error of a command or read the engine did not
// take or confirm, saying why, with Retry-After.
func Unavailable(err error) *Error {
	var e *Error
	switch {
	case errors.Is(err, engine.ErrUnconfirmed):
		e = NewError(http.StatusServiceUnavailable, err.Error()+"; it may still be applied: retry with the same Idempotency-Key to learn its outcome")
	case errors.Is(err, engine.ErrStoreCannotWrite):
		e = NewError(http.StatusServiceUnavailable, err.Error()+"; nothing was changed")
		e.RetryAfter = retryStore
		return e
	case errors.Is(err, engine.ErrOverloaded):
		e = NewError(http.StatusServiceUnavailable, err.Error()+"; nothing was changed")
	default:
		e = NewError(http.StatusServiceUnavailable, "the engine does not answer in time: "+err.Error())
	}
	e.RetryAfter = retryEngine
	return e
}

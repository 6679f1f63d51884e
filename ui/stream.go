package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// StreamPath is where the stream of committed records is served.
const StreamPath = "/ordertwin/v1/stream"

// Subprotocol is the WebSocket subprotocol of the stream. A browser, which
// cannot set an Authorization header on a WebSocket, offers it together
// with auth.BearerProtocolPrefix followed by its token.
const Subprotocol = "ordertwin.stream.v1"

// Stream serves the store's committed records over WebSocket, each with
// its sequence number, to the roles that may read them. A client asks for
// the records after a seq (?after=SEQ, 0 for all); it is sent those, read
// once through the feed (from the store when they are older than the
// feed's window), then every commit as it comes. Each connection reads the
// feed at its own pace, a message of up to Batch records at a time: the
// engine never waits for a client, a client slower than the commits gets
// them in bigger messages, read from the store once they are behind the
// window, and a client that takes no message for WriteTimeout, or falls
// more than MaxLag records behind the commits, is dropped, to resume with
// ?after= the last seq it was sent.
type Stream struct {
	Feed *store.Feed
	// Epoch is the calendar time of T+0: each record carries its virtual
	// time as an offset from T+0 and as a date.
	Epoch time.Time
	// MaxLag is how far behind the commits a client may fall (records);
	// 0: DefaultMaxLag.
	MaxLag int64
	// Batch is the most records one message carries (0: 1,000).
	Batch int
	// WriteTimeout bounds the write of one message (0: 10 seconds).
	WriteTimeout time.Duration
	// Parties, when set, tells the party of an entity: a caller bound to
	// a party is sent its party's records only. Without it such a caller
	// is refused.
	Parties Parties
	Log     *slog.Logger

	drops atomic.Int64
	// closing ends every connection (Close).
	mu      sync.Mutex
	closing chan struct{}
	closed  bool
}

// Close ends every connection of the stream, and refuses new ones: the
// server stops (an HTTP server's Shutdown does not wait for a WebSocket).
func (s *Stream) Close() {
	ch := s.stopping()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(ch)
	}
}

// stopping is closed once Close is called.
func (s *Stream) stopping() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing == nil {
		s.closing = make(chan struct{})
	}
	return s.closing
}

// DefaultMaxLag is how far behind the commits a client may fall: a page
// that follows a national rollout from its start, busy drawing, may be
// half a million records behind, and reads them from the store.
const DefaultMaxLag = 1 << 20

// Message is one message of the stream: the records after a seq up to
// Last, those the caller may see (none when it may see none of them).
// Last is what a client gives as ?after= to resume.
type Message struct {
	Records []Record `json:"records"`
	Last    int64    `json:"last"`
	// Head is the seq of the last record committed when the message was
	// sent: Last < Head while the client catches up.
	Head int64 `json:"head"`
	// Epoch is T+0 as a date, in the first message only.
	Epoch string `json:"epoch,omitempty"`
	// Roles are the caller's roles, in the first message only (none when
	// the server authenticates no one): the page shows what they may use
	// (page/access.js).
	Roles []auth.Role `json:"roles,omitempty"`
	// Compacted, in the first message of a stream asked for records
	// the store's journal was compacted behind, is the last of those:
	// records 1 to Compacted are in its archive, and the stream starts
	// after them.
	Compacted int64 `json:"compacted,omitempty"`
}

// Record is a committed journal record on the stream, with the names of
// a run's report (its timeline) and ordertwin journal --format json: a
// transition of Entity from From to State, or a fact of kind Kind.
type Record struct {
	Seq int64 `json:"seq"`
	// At is its virtual time as an ISO 8601 offset from T+0 (P2DT3H);
	// Time the same as a date.
	At     string `json:"at"`
	Time   string `json:"time"`
	Entity string `json:"entity"`
	Name   string `json:"name,omitempty"`
	Kind   string `json:"kind"`
	System string `json:"system,omitempty"`
	From   string `json:"from,omitempty"`
	State  string `json:"state,omitempty"`
	Event  string `json:"event,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Drops is how many clients were dropped for falling behind.
func (s *Stream) Drops() int64 { return s.drops.Load() }

var upgrader = websocket.Upgrader{
	Subprotocols: []string{Subprotocol},
	// The page is served by the same server; a page of another origin is
	// refused by the default check, so that it cannot ride on a token.
	ReadBufferSize:  1024,
	WriteBufferSize: 16 << 10,
	// A refused handshake is answered as every refusal: a TMF Error.
	Error: refuseHandshake,
}

// refuseHandshake answers a WebSocket handshake the upgrader refuses with
// a TMF Error saying why.
func refuseHandshake(w http.ResponseWriter, r *http.Request, status int, reason error) {
	msg := "the WebSocket handshake: " + strings.TrimPrefix(reason.Error(), "websocket: ")
	if status == http.StatusForbidden {
		msg = otherOrigin(r)
	}
	w.Header().Set("Sec-Websocket-Version", "13")
	tmf630.WriteError(w, tmf630.NewError(status, msg))
}

// otherOrigin says why a handshake from a page of another origin is
// refused.
func otherOrigin(r *http.Request) string {
	return "Origin " + tmf630.Quote(r.Header.Get("Origin")) + " is not this server's (" + tmf630.Quote(r.Host) +
		"): a page of another origin may not open the stream"
}

// RefuseOtherOrigin answers 403, as the stream does, a request whose
// Origin (a browser's page) is not of the host it asked, and tells
// whether it did: for a server that relays the stream to another host,
// which cannot check the Origin itself.
func RefuseOtherOrigin(w http.ResponseWriter, r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	if u, err := url.Parse(o); err == nil && strings.EqualFold(u.Host, r.Host) {
		return false
	}
	tmf630.WriteError(w, tmf630.NewError(http.StatusForbidden, otherOrigin(r)))
	return true
}

// ServeHTTP upgrades the request and streams records until the client
// goes, falls behind, or the request's context ends.
func (s *Stream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for k := range r.URL.Query() {
		if k != "after" {
			tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, "query parameter "+tmf630.Quote(k)+": the stream takes after only"))
			return
		}
	}
	if vs := r.URL.Query()["after"]; len(vs) > 1 {
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, fmt.Sprintf("query parameter after: given %d times", len(vs))))
		return
	}
	after := int64(0)
	if vs, given := r.URL.Query()["after"]; given { // after= is no number either
		v := vs[0]
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, "after "+tmf630.Quote(v)+": want a sequence number, 0 or more"))
			return
		}
		after = n
	}
	if head := s.Feed.Last(); after > head {
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, fmt.Sprintf("after %d: the journal holds %d records", after, head)))
		return
	}
	id, identified := auth.From(r.Context())
	if identified && id.Scoped() && s.Parties == nil {
		tmf630.WriteError(w, tmf630.NewError(http.StatusForbidden, "roles "+tmf630.RoleNames(id.Roles)+" of "+id.Subject+
			" act for one party, and this stream cannot tell the party of a record"))
		return
	}
	sees := func(context.Context, store.Entry) (bool, error) { return true, nil }
	if identified {
		sees = func(_ context.Context, e store.Entry) (bool, error) { return Sees(id, e.Kind), nil }
	}
	if identified && id.Scoped() {
		t := &tenancy{parties: s.Parties, tenant: id.Tenant}
		sees = func(ctx context.Context, e store.Entry) (bool, error) {
			if !Sees(id, e.Kind) {
				return false, nil
			}
			return t.sees(ctx, e.Kind, e.Entity)
		}
	}
	select {
	case <-s.stopping():
		tmf630.WriteError(w, tmf630.NewError(http.StatusServiceUnavailable, "the server stops"))
		return
	default:
	}
	if !websocket.IsWebSocketUpgrade(r) {
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest,
			"the stream is a WebSocket: send a GET with Connection: Upgrade and Upgrade: websocket (RFC 6455)"))
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered the client
	}
	defer conn.Close()
	s.serve(r.Context(), conn, after, id.Roles, id.Expires, sees)
}

// ExpiredReason is the reason of the close (1008, policy violation) that
// ends a stream when the credential that opened it expires.
const ExpiredReason = "the token expired: sign in again"

// serve streams to conn from after; roles are the caller's, for the first
// message; expires, unless zero, is when the caller's credential expires,
// which ends the stream (a credential the server no longer takes reads
// nothing more).
func (s *Stream) serve(ctx context.Context, conn *websocket.Conn, after int64, roles []auth.Role, expires time.Time,
	sees func(context.Context, store.Entry) (bool, error)) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	maxLag, batch, timeout := s.MaxLag, s.Batch, s.WriteTimeout
	if maxLag <= 0 {
		maxLag = DefaultMaxLag
	}
	if batch <= 0 {
		batch = 1000
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	sub := s.Feed.Subscribe()
	defer sub.Close()
	stopping := s.stopping()
	var expiry <-chan time.Time
	if !expires.IsZero() {
		t := time.NewTimer(time.Until(expires))
		defer t.Stop()
		expiry = t.C
	}
	go func() {
		code, reason := websocket.CloseGoingAway, "the server stops"
		select {
		case <-stopping:
		case <-expiry:
			code, reason = websocket.ClosePolicyViolation, ExpiredReason
		case <-ctx.Done():
			return
		}
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
		conn.NetConn().Close()
		cancel()
	}()
	// The client says nothing after the handshake: reading tells when it
	// goes (and answers its pings).
	go func() {
		defer cancel()
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()
	// The watcher drops the client when the commits run too far ahead of
	// what it was sent: the writer may be stuck in a write to a client
	// that does not read.
	var sent atomic.Int64
	sent.Store(after)
	wake := make(chan struct{}, 1)
	var dropOnce sync.Once
	drop := func() {
		dropOnce.Do(func() {
			s.drops.Add(1)
			if s.Log != nil {
				s.Log.Warn("stream client dropped: it fell behind", "sent", sent.Load(), "head", s.Feed.Last(), "maxLag", maxLag)
			}
			_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater,
				"too far behind: reconnect with after="+strconv.FormatInt(sent.Load(), 10)), time.Now().Add(time.Second))
			conn.NetConn().Close()
			cancel()
		})
	}
	caughtUp := make(chan struct{})
	go func() {
		<-caughtUp // a client catching up reads what it is behind from the store once
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.C():
			}
			if s.Feed.Last()-sent.Load() > maxLag {
				drop()
				return
			}
			select {
			case wake <- struct{}{}:
			default:
			}
		}
	}()
	first := true
	signalled := false
	var compacted int64
	for {
		head := s.Feed.Last()
		entries, err := s.Feed.After(ctx, sent.Load(), batch)
		var behind store.Compacted
		if err != nil && first && errors.As(err, &behind) && behind.RecordsCompacted() > sent.Load() {
			// Asked for what went into the archive: the stream starts
			// where the store's journal does, and says so.
			compacted = behind.RecordsCompacted()
			sent.Store(compacted)
			continue
		}
		if err != nil {
			if ctx.Err() == nil && s.Log != nil {
				s.Log.Error("stream: read the journal", "err", err.Error())
			}
			_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseInternalServerErr, "cannot read the journal"), time.Now().Add(time.Second))
			return
		}
		if len(entries) > 0 || first {
			m := Message{Records: []Record{}, Last: sent.Load()}
			if first {
				m.Epoch = s.Epoch.UTC().Format(time.RFC3339)
				m.Roles, m.Compacted = roles, compacted
			}
			for _, e := range entries {
				ok, err := sees(ctx, e)
				if err != nil {
					// Sent so far, and no further: the client resumes
					// from there.
					if s.Log != nil && ctx.Err() == nil {
						s.Log.Warn("stream: whose record", "seq", e.Seq, "err", err.Error())
					}
					if len(m.Records) > 0 {
						_ = s.write(conn, &m, timeout)
					}
					_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater,
						"cannot tell whose record "+strconv.FormatInt(e.Seq, 10)+" is: reconnect"), time.Now().Add(time.Second))
					return
				}
				if ok {
					m.Records = append(m.Records, s.record(e))
				}
				m.Last = e.Seq
			}
			m.Head = max(head, m.Last)
			if err := s.write(conn, &m, timeout); err != nil {
				return
			}
			sent.Store(m.Last)
			first = false
			if len(entries) == batch {
				continue
			}
		}
		if !signalled {
			signalled = true
			close(caughtUp)
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		}
	}
}

func (s *Stream) write(conn *websocket.Conn, m *Message, timeout time.Duration) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("stream: encode: %w", err)
	}
	if err := conn.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	if err := conn.WriteMessage(websocket.TextMessage, b); err != nil {
		if !errors.Is(err, websocket.ErrCloseSent) && s.Log != nil {
			s.Log.Info("stream client gone", "err", err.Error())
		}
		return err
	}
	return nil
}

func (s *Stream) record(e store.Entry) Record {
	return Record{Seq: e.Seq, At: tmf.FormatOffset(e.At), Time: s.Epoch.Add(e.At).UTC().Format(time.RFC3339),
		Kind: e.Kind, Entity: e.Entity, Name: e.Name, System: e.System, From: e.From, State: e.To, Event: e.Event, Reason: e.Reason}
}

package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ordertwin/ordertwin/core/api/ordering"
	"github.com/ordertwin/ordertwin/core/api/orderwire"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/peer"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// The headers that make a request a peer's message: its stream (the
// sending and receiving component, "com→som") and its number in it.
const (
	PeerStream = auth.PeerStream
	PeerSeq    = auth.PeerSeq
)

// Link carries the messages of this process's component for one component
// in another process (an engine.Peer), over that component's TMF APIs:
// a service order is POSTed to TMF641 serviceOrder, a resource order to
// TMF652 resourceOrder, a cancellation to cancelServiceOrder or
// cancelResourceOrder, and an order's events to the orderer's TMF641 or
// TMF652 listener. Each request carries the stream and the message's
// number; messages go in order, one at a time, each retried with backoff
// until the peer takes it (a 2xx). Run sends; Deliver never blocks.
type Link struct {
	// Stream names the stream: "com→som", "som→com", "som→rom", "rom→som".
	Stream string
	// To is the component the messages are for, Base the URL of the
	// process that runs it.
	To   engine.Address
	Base string
	// Epoch is T+0, for the dates on the wire.
	Epoch  time.Time
	Client *http.Client
	Log    *slog.Logger
	// Secret signs each request (auth.SignPeer): the peer takes only
	// messages signed with the deployment's secret.
	Secret []byte
	// Settings are this process's Server.PeerSettings: a peer that tells
	// others is not sent to (ErrPeerSettings) until it is started again
	// with these.
	Settings string

	seq   uint64 // the engine's goroutine only
	mu    sync.Mutex
	queue []linked
	wake  chan struct{}
	once  sync.Once
}

type linked struct {
	seq uint64
	msg any
}

func (l *Link) init() { l.once.Do(func() { l.wake = make(chan struct{}, 1) }) }

// Deliver implements engine.Peer.
func (l *Link) Deliver(_ time.Duration, msg any) {
	l.init()
	l.seq++
	l.mu.Lock()
	l.queue = append(l.queue, linked{l.seq, msg})
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Pending counts the messages not yet taken by the peer.
func (l *Link) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue)
}

// PeerStreams is where a process says how far it has taken each stream
// of its peers: GET PeerStreams/{stream} answers {"last": N, "settings":
// S}, S its Server.PeerSettings.
const PeerStreams = "/ordertwin/v1/peerStream"

// ErrPeerSettings: a peer serves another scenario, scale or T+0 than
// this process.
var ErrPeerSettings = errors.New("the peer serves otherwise")

// Run sends the queued messages until ctx ends. It first asks the peer
// how far it has taken the stream, and skips what it has: after a
// restart, the replay queues every message again.
func (l *Link) Run(ctx context.Context) {
	l.init()
	backoff := time.Duration(0)
	for caught := false; !caught; {
		last, err := l.last(ctx)
		if err == nil {
			l.mu.Lock()
			n := 0
			for n < len(l.queue) && l.queue[n].seq <= last {
				n++
			}
			clear(l.queue[:n])
			l.queue = l.queue[n:]
			l.mu.Unlock()
			break
		}
		backoff = min(max(2*backoff, 50*time.Millisecond), 5*time.Second)
		if errors.Is(err, ErrPeerSettings) {
			backoff = 5 * time.Second
			if l.Log != nil {
				l.Log.Error("peer misconfigured: nothing is sent to it until it serves as this process does; asking again", "stream", l.Stream, "in", backoff.String(), "err", err.Error())
			}
		} else if l.Log != nil {
			l.Log.Warn("peer unreachable; retrying", "stream", l.Stream, "in", backoff.String(), "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
	backoff = 0
	for {
		l.mu.Lock()
		var next *linked
		if len(l.queue) > 0 {
			next = &l.queue[0]
		}
		l.mu.Unlock()
		if next == nil {
			select {
			case <-ctx.Done():
				return
			case <-l.wake:
				continue
			}
		}
		if err := l.send(ctx, *next); err != nil {
			backoff = min(max(2*backoff, 50*time.Millisecond), 5*time.Second)
			if l.Log != nil {
				l.Log.Warn("peer delivery failed; retrying", "stream", l.Stream, "seq", next.seq, "in", backoff.String(), "err", err.Error())
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		l.mu.Lock()
		l.queue[0] = linked{}
		l.queue = l.queue[1:]
		l.mu.Unlock()
	}
}

// last asks the peer for the number of the last message it took.
func (l *Link) last(ctx context.Context) (uint64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.Base+PeerStreams+"/"+url.PathEscape(l.Stream), nil)
	if err != nil {
		return 0, err
	}
	auth.SignPeer(l.Secret, req, l.Stream, 0, nil)
	res, err := l.client().Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var v struct {
		Last     uint64 `json:"last"`
		Settings string `json:"settings"`
	}
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", req.URL.Path, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		return 0, fmt.Errorf("GET %s: %w", req.URL.Path, err)
	}
	if l.Settings != "" && v.Settings != "" && v.Settings != l.Settings { // a peer that tells none: an older build
		return 0, fmt.Errorf("%w: %s serves %s; this process serves %s: the processes of a deployment serve one scenario at one scale from one T+0",
			ErrPeerSettings, l.Base, v.Settings, l.Settings)
	}
	return v.Last, nil
}

func (l *Link) client() *http.Client {
	if l.Client == nil {
		return http.DefaultClient
	}
	return l.Client
}

// send makes one message a request to the peer and sends it.
func (l *Link) send(ctx context.Context, m linked) error {
	path, body, err := l.request(m.msg)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.Base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	auth.SignPeer(l.Secret, req, l.Stream, m.seq, body)
	res, err := l.client().Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s: %s", path, res.Status, b)
	}
	return nil
}

// request is the TMF request that carries msg to the peer.
func (l *Link) request(msg any) (string, []byte, error) {
	var v any
	var path string
	switch m := msg.(type) {
	case *tmf.ServiceOrder:
		path, v = tmf630.ServiceOrdering+"/serviceOrder", orderwire.ServiceOrderToWire(m, l.Epoch)
	case *tmf.ResourceOrder:
		path, v = tmf630.ResourceOrdering+"/resourceOrder", orderwire.ResourceOrderToWire(m, l.Epoch)
	case *tmf.CancelRequest:
		c := ordering.PeerCancel{Order: ordering.PeerCancelOrder{ID: m.OrderID, ExternalID: m.ExternalID}, Reason: m.Reason, Items: m.Items}
		path, v = tmf630.ServiceOrdering+"/cancelServiceOrder", c
		if l.To == engine.ROM {
			path, v = tmf630.ResourceOrdering+"/cancelResourceOrder", ordering.PeerCancelResource(c)
		}
	case *tmf.OrderEvent:
		var typ string
		var body []byte
		if l.To == engine.COM {
			typ, body = orderwire.ServiceOrderEventToWire(m, l.Epoch)
			return tmf630.ServiceOrdering + "/listener/" + lowerFirst(typ), body, nil
		}
		typ, body = orderwire.ResourceOrderEventToWire(m, l.Epoch)
		return tmf630.ResourceOrdering + "/listener/" + lowerFirst(typ), body, nil
	default:
		return "", nil, fmt.Errorf("peer %s: no TMF request carries a %T", l.Stream, msg)
	}
	b, err := json.Marshal(v)
	return path, b, err
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}

// fromPeer (an ordering.FromPeer, which TMF641 and TMF652 are given)
// takes a request that a peer sent (it has the stream headers):
// decode makes the message of its body, which goes to component to as a
// numbered delivery, once. It reports whether the request was a peer's
// (and answered).
func (s *Server) fromPeer(w http.ResponseWriter, r *http.Request, to engine.Address, decode func([]byte) (any, *tmf630.Error)) bool {
	stream := r.Header.Get(PeerStream)
	if stream == "" {
		return false
	}
	seq, err := strconv.ParseUint(r.Header.Get(PeerSeq), 10, 64)
	if err != nil || seq == 0 {
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, PeerSeq+": want the message's number, from 1"))
		return true
	}
	body, e := tmf630.ReadBody(w, r)
	if e != nil {
		tmf630.WriteError(w, e)
		return true
	}
	msg, e := decode(body)
	if e != nil {
		tmf630.WriteError(w, e)
		return true
	}
	if e := s.admit(r, stream, seq, to, msg); e != nil {
		tmf630.WriteError(w, e)
		return true
	}
	reply, e := s.Node().Command(r.Context(), engine.Peers, peer.Delivery{From: stream, Seq: seq, To: to, Msg: msg})
	if e != nil {
		tmf630.WriteError(w, e)
		return true
	}
	if err, _ := reply.(error); err != nil {
		tmf630.WriteError(w, tmf630.NewError(http.StatusConflict, err.Error()))
		return true
	}
	tmf630.WriteJSON(w, http.StatusAccepted, map[string]any{"stream": stream, "seq": seq, "taken": reply})
	return true
}

// peerSender is the component that sends msg to component to: COM places
// service orders and cancels them, SOM places resource orders and cancels
// them and tells COM about its service orders, ROM tells SOM about its
// resource orders.
func peerSender(to engine.Address, msg any) engine.Address {
	switch msg.(type) {
	case *tmf.OrderEvent:
		if to == engine.COM {
			return engine.SOM
		}
		return engine.ROM
	}
	if to == engine.SOM {
		return engine.COM
	}
	return engine.SOM
}

// admit checks a peer's message before it is logged: it must come on the
// stream from its sender to its component ("som→com"), from a component
// this process talks to in another process (a Link to it), and the
// component must be able to take it (Admit: an event or a cancellation
// names an order it has). A message the stream already delivered is let
// through: the inbox drops it, and its sender moves on. The error is a
// TMF Error: 400 for a stream not known here, 404 for an order the
// component does not have, 409 for a message it cannot take otherwise.
func (s *Server) admit(r *http.Request, stream string, seq uint64, to engine.Address, msg any) *tmf630.Error {
	from := peerSender(to, msg)
	want := strings.ToLower(from.String()) + "→" + strings.ToLower(to.String())
	linked := slices.ContainsFunc(s.Links, func(l *Link) bool { return l.To == from })
	if stream != want || !linked {
		var known []string
		for _, l := range s.Links {
			here, _, _ := strings.Cut(l.Stream, "→")
			known = append(known, strings.ToLower(l.To.String())+"→"+here)
		}
		why := "this process runs " + strings.ToLower(from.String()) + " itself"
		if len(known) > 0 {
			why = "this process takes " + strings.Join(known, ", ")
		}
		return tmf630.NewError(http.StatusBadRequest, fmt.Sprintf("%s %q: not a stream of this process for %s (%s)", PeerStream, stream, r.URL.Path, why))
	}
	var err error
	if e := s.Node().Query(r.Context(), func() {
		if seq <= s.Inbox.Last(stream) {
			return // a repeat: dropped by the inbox
		}
		switch to {
		case engine.COM:
			err = s.COM.Admit(msg)
		case engine.SOM:
			err = s.SOM.Admit(msg)
		case engine.ROM:
			err = s.ROM.Admit(msg)
		}
	}); e != nil {
		return e
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, tmf.ErrUnknownOrder):
		return tmf630.NewError(http.StatusNotFound, err.Error())
	}
	return tmf630.NewError(http.StatusConflict, err.Error())
}

// peerListeners routes the listeners that take an order's events from the
// peer that fulfils it: COM's for TMF641 events from SOM, SOM's for TMF652
// events from ROM.
func (s *Server) peerListeners(mux *http.ServeMux) {
	mux.HandleFunc("GET "+PeerStreams+"/{stream}", func(w http.ResponseWriter, r *http.Request) {
		stream := r.PathValue("stream")
		var last uint64
		if e := s.Node().Query(r.Context(), func() { last = s.Inbox.Last(stream) }); e != nil {
			tmf630.WriteError(w, e)
			return
		}
		tmf630.WriteJSON(w, http.StatusOK, struct {
			Stream   string `json:"stream"`
			Last     uint64 `json:"last"`
			Settings string `json:"settings,omitempty"`
		}{stream, last, s.PeerSettings})
	})
	if s.COM != nil {
		mux.HandleFunc("POST "+tmf630.ServiceOrdering+"/listener/{event}", func(w http.ResponseWriter, r *http.Request) {
			s.listen(w, r, engine.COM, orderwire.ServiceOrderEventFromWire)
		})
	}
	if s.SOM != nil {
		mux.HandleFunc("POST "+tmf630.ResourceOrdering+"/listener/{event}", func(w http.ResponseWriter, r *http.Request) {
			s.listen(w, r, engine.SOM, orderwire.ResourceOrderEventFromWire)
		})
	}
}

func (s *Server) listen(w http.ResponseWriter, r *http.Request, to engine.Address, decode func(string, []byte, time.Time) (*tmf.OrderEvent, error)) {
	event := r.PathValue("event")
	typ := string(event[0]&^0x20) + event[1:]
	if !s.fromPeer(w, r, to, func(body []byte) (any, *tmf630.Error) {
		ev, err := decode(typ, body, s.Epoch)
		if err != nil {
			return nil, tmf630.NewError(http.StatusBadRequest, err.Error())
		}
		return ev, nil
	}) {
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, "this listener takes the events of the orders this process placed: "+PeerStream+" and "+PeerSeq+" required"))
	}
}

// linkState is what a snapshot keeps of a link: the number of the last
// message, and the messages the peer has not taken yet.
type linkState struct {
	Seq     uint64
	Waiting []waitingMessage
}

type waitingMessage struct {
	Seq uint64
	Msg any
}

// Snapshot implements engine.Snapshotter: a link restored from it numbers
// its next message as this one would, and sends again what the peer had
// not taken (the peer drops what it has).
func (l *Link) Snapshot() ([]byte, error) {
	st := linkState{Seq: l.seq}
	l.mu.Lock()
	for _, m := range l.queue {
		st.Waiting = append(st.Waiting, waitingMessage{m.seq, m.msg})
	}
	l.mu.Unlock()
	b, err := engine.EncodeState(&st)
	if err != nil {
		return nil, fmt.Errorf("link %s: %w", l.Stream, err)
	}
	return b, nil
}

// Restore implements engine.Snapshotter, on a link not yet running.
func (l *Link) Restore(b []byte) error {
	var st linkState
	if err := engine.DecodeState(b, &st); err != nil {
		return fmt.Errorf("link %s: %w", l.Stream, err)
	}
	l.init()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq, l.queue = st.Seq, l.queue[:0]
	for _, m := range st.Waiting {
		l.queue = append(l.queue, linked{m.Seq, m.Msg})
	}
	return nil
}

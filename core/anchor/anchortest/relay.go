// Package anchortest is a NIP-01 relay for tests, on loopback.
package anchortest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/nbd-wtf/go-nostr"
)

// Relay is a NIP-01 relay in the test process, on loopback: it takes
// EVENT messages, keeps those whose id and signature hold and answers
// OK (true, or false with the reason).
type Relay struct {
	srv    *httptest.Server
	mu     sync.Mutex
	events []nostr.Event
}

// NewRelay starts a relay; it stops when the test ends.
func NewRelay(t testing.TB) *Relay {
	r := &Relay{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		conn, _, _, err := ws.UpgradeHTTP(req, w)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			msg, op, err := wsutil.ReadClientData(conn)
			if err != nil {
				return
			}
			var env []json.RawMessage
			var typ string
			if op != ws.OpText || json.Unmarshal(msg, &env) != nil || len(env) < 2 || json.Unmarshal(env[0], &typ) != nil || typ != "EVENT" {
				continue
			}
			var ev nostr.Event
			ok := json.Unmarshal(env[1], &ev) == nil && ev.CheckID()
			if ok {
				ok, _ = ev.CheckSignature()
			}
			reason := ""
			if ok {
				r.mu.Lock()
				r.events = append(r.events, ev)
				r.mu.Unlock()
			} else {
				reason = "invalid: bad id or signature"
			}
			out, _ := json.Marshal([]any{"OK", ev.ID, ok, reason})
			if wsutil.WriteServerMessage(conn, ws.OpText, out) != nil {
				return
			}
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// URL is the relay's ws:// address.
func (r *Relay) URL() string { return "ws://" + strings.TrimPrefix(r.srv.URL, "http://") }

// Events are the events it accepted, in order.
func (r *Relay) Events() []nostr.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]nostr.Event(nil), r.events...)
}

// Close stops the relay.
func (r *Relay) Close() { r.srv.Close() }

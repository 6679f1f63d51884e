package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A link sends its messages in order, each as the TMF request that
// carries it, numbered in its stream, and retries one the peer does not
// take (here: twice refused with 503) before the next.
func TestLinkSendsInOrderAndRetries(t *testing.T) {
	type seen struct {
		path, stream, seq string
		body              map[string]any
	}
	var mu sync.Mutex
	var got []seen
	refusals := 2
	all := make(chan struct{})
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodGet {
			assert.Equal(t, api.PeerStreams+"/som→rom", r.URL.Path)
			w.Write([]byte(`{"last": 0}`))
			return
		}
		if refusals > 0 {
			refusals--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var body map[string]any
		require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
		got = append(got, seen{r.URL.Path, r.Header.Get(api.PeerStream), r.Header.Get(api.PeerSeq), body})
		w.WriteHeader(http.StatusAccepted)
		if len(got) == 3 {
			close(all)
		}
	}))
	defer peer.Close()
	l := &api.Link{Stream: "som→rom", To: engine.ROM, Base: peer.URL, Epoch: time.Now()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx)
	l.Deliver(0, &tmf.ResourceOrder{ExternalID: "SO-001/MELB", Items: []tmf.ResourceOrderItem{{ID: "ROI-001", Action: tmf.Add,
		Specification: tmf.Ref{ID: "RFS:Access"}}}})
	l.Deliver(0, &tmf.CancelRequest{ExternalID: "SO-001/MELB", Items: []string{"ROI-001"}, Reason: "customer cancelled"})
	l.Deliver(0, &tmf.ResourceOrder{ExternalID: "SO-001/SYD1"})
	select {
	case <-all:
	case <-time.After(10 * time.Second):
		t.Fatal("the link did not deliver")
	}
	require.Len(t, got, 3)
	assert.Equal(t, tmf630.ResourceOrdering+"/resourceOrder", got[0].path)
	assert.Equal(t, "SO-001/MELB", got[0].body["externalId"])
	assert.Equal(t, tmf630.ResourceOrdering+"/cancelResourceOrder", got[1].path)
	assert.Equal(t, map[string]any{"id": "", "externalId": "SO-001/MELB"}, got[1].body["resourceOrder"])
	assert.Equal(t, []any{"ROI-001"}, got[1].body["orderItem"])
	assert.Equal(t, "SO-001/SYD1", got[2].body["externalId"])
	for i, s := range got {
		assert.Equal(t, "som→rom", s.stream)
		assert.Equal(t, []string{"1", "2", "3"}[i], s.seq)
	}
	assert.Eventually(t, func() bool { return l.Pending() == 0 }, 5*time.Second, time.Millisecond, "the queue empties once the peer took all")
}

// A link skips what the peer says it has: after a restart the replay
// queues every message again, and only the new ones go.
func TestLinkSkipsWhatThePeerHas(t *testing.T) {
	var mu sync.Mutex
	var seqs []string
	got := make(chan struct{})
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Write([]byte(`{"last": 2}`))
			return
		}
		mu.Lock()
		seqs = append(seqs, r.Header.Get(api.PeerSeq))
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		close(got)
	}))
	defer peer.Close()
	l := &api.Link{Stream: "rom→som", To: engine.SOM, Base: peer.URL}
	for range 3 {
		l.Deliver(0, &tmf.OrderEvent{Type: tmf.ResourceOrderStateChange, OrderID: "RO-001", State: "inProgress"})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx)
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the link did not deliver")
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"3"}, seqs)
}

// A peer's message that is not numbered, or that a listener gets from no
// peer, is refused; a numbered one is taken once.
func TestListenerTakesOnlyPeers(t *testing.T) {
	l := apitest.ServeLive(t, nil)
	defer l.Stop()
	var e tmf630.Error
	w := l.Do(t, "POST", tmf630.ServiceOrdering+"/listener/serviceOrderStateChangeEvent", `{}`, &e)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, e.Message, api.PeerStream)
	w = l.Do(t, "POST", tmf630.ServiceOrdering+"/listener/serviceOrderStateChangeEvent", `{}`, &e, api.PeerStream, "som→com", api.PeerSeq, "zero")
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, e.Message, api.PeerSeq)
}

// A link sends nothing to a peer that serves another scenario, scale or
// T+0, and says why; to one that serves alike, or tells nothing (an
// older build), it sends.
func TestLinkSendsNothingToAPeerServingOtherwise(t *testing.T) {
	for _, c := range []struct {
		peer string // its answer to how far it has taken the stream
		sent bool
	}{
		{`{"last": 0, "settings": "scenario \"x\" at scale 2"}`, false},
		{`{"last": 0, "settings": "scenario \"x\" at scale 1"}`, true},
		{`{"last": 0}`, true},
	} {
		var posts atomic.Int32
		got := make(chan struct{}, 1)
		peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet {
				w.Write([]byte(c.peer))
				return
			}
			posts.Add(1)
			w.WriteHeader(http.StatusAccepted)
			got <- struct{}{}
		}))
		told := make(chan string, 1)
		l := &api.Link{Stream: "rom→som", To: engine.SOM, Base: peer.URL, Settings: `scenario "x" at scale 1`,
			Log: slog.New(errorsTo(told))}
		l.Deliver(0, &tmf.OrderEvent{Type: tmf.ResourceOrderStateChange, OrderID: "RO-001", State: "inProgress"})
		ctx, cancel := context.WithCancel(context.Background())
		go l.Run(ctx)
		select {
		case <-got:
			assert.True(t, c.sent, c.peer)
		case msg := <-told:
			assert.False(t, c.sent, c.peer)
			assert.Contains(t, msg, "at scale 2; this process serves scenario \"x\" at scale 1")
			assert.Zero(t, posts.Load())
		case <-time.After(10 * time.Second):
			t.Fatal("the link neither sent nor told")
		}
		cancel()
		peer.Close()
	}
}

// errorsTo is a log handler that sends each error's message and err to
// told, if it has room.
type errorsTo chan string

func (h errorsTo) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h errorsTo) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			msg += ": " + a.Value.String()
		}
		return true
	})
	select {
	case h <- msg:
	default:
	}
	return nil
}
func (h errorsTo) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h errorsTo) WithGroup(string) slog.Handler      { return h }

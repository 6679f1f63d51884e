package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/peer"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// poisonEvent is a TMF641 event for a service order no COM placed.
const poisonEvent = `{"eventType":"ServiceOrderStateChangeEvent","event":{"serviceOrder":{"id":"SO-001","externalId":"PO-001/SO-PILOT","state":"failed"}}}`

// serving is `ordertwin serve ARGS…` run in this process.
type serving struct {
	base string
	stop func() error
}

func serveHere(t *testing.T, args ...string) serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serveCmd(ctx, append(args, "--addr", "127.0.0.1:0"), w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	require.NoError(t, err, "the server did not start")
	_, addr, ok := strings.Cut(line, " on http://")
	require.True(t, ok, line)
	addr, _, _ = strings.Cut(addr, " ")
	go io.Copy(io.Discard, r)
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { _ = stop() })
	return serving{base: "http://" + addr, stop: stop}
}

// postPeer posts body to path as a peer's message on stream, numbered seq,
// and returns the status and the TMF Error of the answer.
func postPeer(t *testing.T, url, stream, seq, body string) (int, api.Error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(api.PeerStream, stream)
	req.Header.Set(api.PeerSeq, seq)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var e api.Error
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	if res.StatusCode >= 400 {
		require.NoError(t, json.Unmarshal(b, &e), string(b))
	}
	return res.StatusCode, e
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	res.Body.Close()
	return res.StatusCode
}

const soListener = api.ServiceOrdering + "/listener/serviceOrderStateChangeEvent"

// A peer's event for a service order this process never placed, on a
// stream it does not know, is a 400 TMF Error, and nothing is logged: the
// server stays ready, places the worked example after it, and starts again
// on its store (DESIGN.md §8: no input stops the engine).
func TestPoisonPeerEventRefusedAtTheEdge(t *testing.T) {
	db := filepath.Join(t.TempDir(), "serve.db")
	srv := serveHere(t, "--db", db)
	status, e := postPeer(t, srv.base+soListener, "x", "1", poisonEvent)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "400", e.Code)
	assert.Contains(t, e.Message, `X-Ordertwin-Stream "x": not a stream of this process`)
	status, e = postPeer(t, srv.base+soListener, "som→com", "1", poisonEvent)
	assert.Equal(t, http.StatusBadRequest, status, "this process runs SOM itself: no peer sends it COM's events")
	assert.Contains(t, e.Message, "this process runs som itself")
	assert.Equal(t, http.StatusOK, getStatus(t, srv.base+"/readyz"))

	var out bytes.Buffer
	require.NoError(t, submitCmd(context.Background(), []string{"--to", srv.base, example}, &out))
	assert.Contains(t, out.String(), "order PO-")
	assert.Equal(t, http.StatusOK, getStatus(t, srv.base+"/readyz"))
	require.NoError(t, srv.stop())

	st, err := sqlite.Open(db, sqlite.Options{})
	require.NoError(t, err)
	inputs, err := st.Inputs()
	require.NoError(t, err)
	require.NoError(t, st.Close())
	require.NotEmpty(t, inputs)
	for _, in := range inputs {
		assert.NotEqual(t, "peer.Delivery", in.Kind, "a refused request is not logged")
	}

	again := serveHere(t, "--db", db)
	assert.Equal(t, http.StatusOK, getStatus(t, again.base+"/readyz"))
	require.NoError(t, again.stop())
}

// A process that runs COM alone knows the stream som→com; an event on it
// for a service order COM never placed is a 404 naming the order, and is
// not logged either.
func TestPeerEventForUnknownOrder(t *testing.T) {
	db := filepath.Join(t.TempDir(), "com.db")
	srv := serveHere(t, "--db", db, "--role", "com", "--peer", "som=http://127.0.0.1:1")
	status, e := postPeer(t, srv.base+soListener, "som→com", "1", poisonEvent)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, e.Message, `service order "SO-001" (PO-001/SO-PILOT), which COM has not placed`)
	status, e = postPeer(t, srv.base+soListener, "rom→com", "1", poisonEvent)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, e.Message, "this process takes som→com")
	assert.Equal(t, http.StatusOK, getStatus(t, srv.base+"/readyz"))
	require.NoError(t, srv.stop())
	st, err := sqlite.Open(db, sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	inputs, err := st.Inputs()
	require.NoError(t, err)
	assert.Empty(t, inputs)
}

// A store that already logged the poison event (as a server that took it
// unchecked did) no longer crash-loops: the replay refuses it again, to a
// "refused" record naming COM and the reason, and the server serves.
func TestLoggedPoisonReplaysToRefusal(t *testing.T) {
	db := filepath.Join(t.TempDir(), "serve.db")
	sc, err := scenarios.LoadLibrary(defaultLive)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sys, st, _, err := resume(ctx, sc, db, serveClockOptions{scale: 86400, approvals: "twin"}, scenarios.Options{}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- sys.Engine.Serve(ctx) }()
	ev, err := api.ServiceOrderEventFromWire(string(tmf.ServiceOrderStateChange), []byte(poisonEvent), sc.Spec.Epoch)
	require.NoError(t, err)
	taken, err := sys.Engine.Command(ctx, engine.Peers, peer.Delivery{From: "x", Seq: 1, To: engine.COM, Msg: ev})
	require.NoError(t, err)
	assert.Equal(t, peer.Taken(true), taken)
	for refused := uint64(0); refused == 0; {
		require.NoError(t, sys.Engine.Query(ctx, func() { refused = sys.Engine.Refusals() }))
	}
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	require.NoError(t, st.Close())

	srv := serveHere(t, "--db", db)
	assert.Equal(t, http.StatusOK, getStatus(t, srv.base+"/readyz"))
	res, err := http.Get(srv.base + "/metrics")
	require.NoError(t, err)
	metrics, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	assert.Contains(t, string(metrics), "\nordertwin_engine_refused_inputs_total 1\n", "the replay refused it again")
	require.NoError(t, srv.stop())
	st, err = sqlite.Open(db, sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	records, err := st.Records()
	require.NoError(t, err)
	var refused []string
	for _, r := range records {
		if r.Kind == engine.Refused {
			refused = append(refused, r.System+" "+r.Entity+": "+r.Reason)
		}
	}
	assert.Equal(t, []string{`COM *tmf.OrderEvent: COM: event for service order "SO-001" (PO-001/SO-PILOT), which COM has not placed: no such order here`}, refused,
		"one refusal, replayed and checked, not journalled twice")
}

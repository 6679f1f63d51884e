package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/ordertwin/ordertwin/core/api/orderwire"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/auth"
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

// postPeer posts body to path as a peer's message on stream, numbered 1,
// signed with secret (unsigned when nil), and returns the status and the
// TMF Error of the answer.
func postPeer(t *testing.T, url string, secret []byte, stream, body string) (int, tmf630.Error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(api.PeerStream, stream)
	req.Header.Set(api.PeerSeq, "1")
	if secret != nil {
		auth.SignPeer(secret, req, stream, 1, []byte(body))
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var e tmf630.Error
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

const soListener = tmf630.ServiceOrdering + "/listener/serviceOrderStateChangeEvent"

// A peer's event for a service order this process never placed is a 4xx
// TMF Error, and nothing is logged: a process that runs COM, SOM and ROM
// takes no peer messages at all (401). The server stays ready, places the
// worked example after it, and starts again on its store (docs/architecture.md §8:
// no input stops the engine).
func TestPoisonPeerEventRefusedAtTheEdge(t *testing.T) {
	db := filepath.Join(t.TempDir(), "serve.db")
	srv := serveHere(t, "--db", db)
	for _, stream := range []string{"x", "som→com"} {
		status, e := postPeer(t, srv.base+soListener, nil, stream, poisonEvent)
		assert.Equal(t, http.StatusUnauthorized, status, stream)
		assert.Contains(t, e.Message, "this process takes no peer messages")
	}
	assert.Equal(t, http.StatusOK, getStatus(t, srv.base+"/readyz"))

	var token bytes.Buffer
	require.NoError(t, tokenCmd([]string{"--role", "admin", "--key", devKeyFile(db)}, &token))
	var out bytes.Buffer
	require.NoError(t, submitCmd(context.Background(), []string{"--to", srv.base, "--token", strings.TrimSpace(token.String()), example}, &out))
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

// A process that runs COM alone takes the stream som→com, signed with
// the deployment's secret; an event on it for a service order COM never
// placed is a 404 naming the order, one on a stream COM does not take a
// 400, and neither is logged.
func TestPeerEventForUnknownOrder(t *testing.T) {
	dir := t.TempDir()
	db, secretFile := filepath.Join(dir, "com.db"), filepath.Join(dir, "peer.secret")
	secret := []byte(strings.Repeat("s3cret-", 6))
	require.NoError(t, os.WriteFile(secretFile, secret, 0o600))
	srv := serveHere(t, "--db", db, "--role", "com", "--peer", "som=http://127.0.0.1:1", "--peer-secret", secretFile)
	status, e := postPeer(t, srv.base+soListener, secret, "som→com", poisonEvent)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, e.Message, `service order "SO-001" (PO-001/SO-PILOT), which COM has not placed`)
	status, e = postPeer(t, srv.base+soListener, secret, "rom→com", poisonEvent)
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
	ev, err := orderwire.ServiceOrderEventFromWire(string(tmf.ServiceOrderStateChange), []byte(poisonEvent), sc.Spec.Epoch)
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
	var token bytes.Buffer
	require.NoError(t, tokenCmd([]string{"--role", "admin", "--key", devKeyFile(db)}, &token))
	req, err := http.NewRequest(http.MethodGet, srv.base+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(token.String()))
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	metrics, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	assert.Contains(t, string(metrics), "\nordertwin_engine_refused_inputs_total 1\n", "the replay refused it again")
	require.NoError(t, srv.stop())
	st, err = sqlite.Open(db, sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	records, err := st.RecordsAfter(0)
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

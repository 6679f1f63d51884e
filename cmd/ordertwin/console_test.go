package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/ui"
)

// running is a serve started in process by a test.
type running struct {
	addr string
	db   string
}

// serveInProcess runs serve with args (and a new store, on a free loopback
// port) until the test ends.
func serveInProcess(t testing.TB, args ...string) running {
	t.Helper()
	db := filepath.Join(t.TempDir(), "serve.db")
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serveCmd(ctx, append(args, "--db", db, "--addr", "127.0.0.1:0"), w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	require.NoError(t, err, "serve stopped before it served")
	go func() { _, _ = io.Copy(io.Discard, r) }()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	_, addr, ok := strings.Cut(line, " on http://")
	require.True(t, ok, line)
	addr, _, _ = strings.Cut(addr, " ")
	return running{addr: addr, db: db}
}

// serve serves the console: the page at / (public: it holds no data) and
// the stream, to a token sent as the browser does (a subprotocol), or as
// an Authorization header; without one it is a 401; a caller bound to a
// party is sent its party's records only.
func TestServeConsole(t *testing.T) {
	s := serveInProcess(t, example, "--scale", "1")
	res, err := http.Get("http://" + s.addr + "/")
	require.NoError(t, err)
	page, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, string(page), "GlobalTech")

	url := "ws://" + s.addr + ui.StreamPath
	_, res, err = websocket.DefaultDialer.Dial(url, nil)
	require.Error(t, err)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "no token")
	d := websocket.Dialer{Subprotocols: []string{ui.Subprotocol, auth.BearerProtocolPrefix + "not-a-token"}}
	_, res, err = d.Dial(url, nil)
	require.Error(t, err)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "a bad token")
	// A caller bound to a party gets its party's records only: GlobalTech's
	// sales the quote and the order; another party's nothing.
	for tenant, want := range map[string][]string{"CUST-ENT-1102": {"quote", "productOrder"}, "CUST-OTHER-9": nil} {
		d.Subprotocols[1] = auth.BearerProtocolPrefix + devToken(t, s.db, auth.Sales, tenant)
		conn, _, err := d.Dial(url, nil)
		require.NoError(t, err, tenant)
		kinds := map[string]bool{}
		for last := int64(0); last < 3; { // the quote and the order are taken at T+0
			var m ui.Message
			require.NoError(t, conn.ReadJSON(&m))
			for _, r := range m.Records {
				kinds[r.Kind] = true
			}
			last = m.Last
		}
		conn.Close()
		for _, k := range want {
			assert.True(t, kinds[k], "%s sees its %s", tenant, k)
		}
		assert.False(t, kinds["serviceOrder"] || kinds["resourceOrder"], "%s sees no network order", tenant)
		if want == nil {
			assert.Empty(t, kinds, tenant)
		}
	}

	d.Subprotocols[1] = auth.BearerProtocolPrefix + devToken(t, s.db, auth.Operations, "")
	conn, res, err := d.Dial(url, nil)
	require.NoError(t, err)
	defer conn.Close()
	assert.Equal(t, ui.Subprotocol, res.Header.Get("Sec-WebSocket-Protocol"), "the token is not echoed")
	// The quote and the order are taken at T+0.
	var kinds []string
	for !strings.Contains(strings.Join(kinds, " "), "productOrder") {
		var m ui.Message
		require.NoError(t, conn.ReadJSON(&m))
		for _, r := range m.Records {
			kinds = append(kinds, r.Kind)
		}
	}
	assert.Equal(t, "quote", kinds[0])

	header := http.Header{"Authorization": {"Bearer " + devToken(t, s.db, auth.Admin, "")}}
	conn2, _, err := websocket.DefaultDialer.Dial(url+"?after=1", header)
	require.NoError(t, err)
	defer conn2.Close()
	var m ui.Message
	require.NoError(t, conn2.ReadJSON(&m))
	require.NotEmpty(t, m.Records)
	assert.Equal(t, int64(2), m.Records[0].Seq, "after=1 resumes with record 2")
}

// submit --watch follows the worked example on the stream: every line has
// the virtual time, the wall-clock time and the wave; the pilot site
// completes in the pilot, the Brisbane sites in Wave 2, the order at the
// end (seed: T+35 days after the order).
func TestSubmitWatch(t *testing.T) {
	s := serveInProcess(t, "--scale", "864000")
	var out strings.Builder
	token := devToken(t, s.db, auth.Sales, "CUST-ENT-1102")
	require.NoError(t, submitCmd(context.Background(), []string{"--to", "http://" + s.addr, "--token", token, "--watch", example}, &out))
	var watch []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(line, "P") {
			watch = append(watch, line)
		}
	}
	require.NotEmpty(t, watch, out.String())
	line := regexp.MustCompile(`^P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)? +\d\d:\d\d:\d\d  (Pilot|Wave 1|Wave 2|-) +(order|item|wave) `)
	for _, l := range watch {
		assert.Regexp(t, line, l)
	}
	text := strings.Join(watch, "\n")
	assert.Regexp(t, `(?m)^P\S* +\S+  Pilot +item POI-001 \(MELB\) inProgress → completed`, text)
	assert.Regexp(t, `(?m)^P\S* +\S+  Wave 2 +item POI-005 \(BNE2\) inProgress → completed`, text)
	assert.Regexp(t, `(?m)^P\S* +\S+  Wave 1 +wave Wave 1 of PO-\S+ scheduled → released: gate passed`, text)
	assert.Regexp(t, `(?m)^P\S* +\S+  - +order PO-\S+ inProgress → completed$`, text)

	// Submitted again, the order is the first's, ended already: watching
	// it returns at once (it waited for records the stream may no longer
	// show, the order having left memory).
	out.Reset()
	require.NoError(t, submitCmd(context.Background(), []string{"--to", "http://" + s.addr, "--token", token, "--watch", example}, &out))
	assert.Contains(t, out.String(), "(externalId PO-2024-01203): completed")
}

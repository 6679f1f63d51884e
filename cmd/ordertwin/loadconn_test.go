package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoServer answers each request with its method, path, headers and body;
// a body of ?size=N bytes is streamed in pieces (chunked). It counts the
// connections it accepts.
func echoServer(t *testing.T, tls bool) (*httptest.Server, *atomic.Int32) {
	var conns atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if n := r.URL.Query().Get("size"); n != "" {
			for range 64 {
				io.WriteString(w, strings.Repeat("x", 1024))
				w.(http.Flusher).Flush()
			}
			return
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Idempotency-Key")+" "+string(body))
	})
	s := httptest.NewUnstartedServer(h)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	if tls {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s, &conns
}

func send(t *testing.T, tr http.RoundTripper, ctx context.Context, method, url, body string) (string, int, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	require.NoError(t, err)
	req.Header.Set("Idempotency-Key", "k-1")
	res, err := tr.RoundTrip(req)
	if err != nil {
		return "", 0, err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	return string(b), res.StatusCode, err
}

func TestDirectTransportKeepsItsConnections(t *testing.T) {
	s, conns := echoServer(t, false)
	tr := &directTransport{timeout: 5 * time.Second, maxIdle: 4}
	for i := range 20 {
		got, status, err := send(t, tr, context.Background(), http.MethodPost, s.URL+"/tmf/quote?x=1", "body")
		require.NoError(t, err, "request %d", i)
		assert.Equal(t, http.StatusCreated, status)
		assert.Equal(t, "POST /tmf/quote?x=1 k-1 body", got)
	}
	got, _, err := send(t, tr, context.Background(), http.MethodGet, s.URL+"/big?size=1", "")
	require.NoError(t, err)
	assert.Len(t, got, 64<<10, "a chunked answer, read whole")
	_, _, err = send(t, tr, context.Background(), http.MethodGet, s.URL+"/after", "")
	require.NoError(t, err)
	assert.EqualValues(t, 1, conns.Load(), "one connection, used one request after the other")
}

func TestDirectTransportSendsAgainOnAConnectionTheServerLetGo(t *testing.T) {
	s, conns := echoServer(t, false)
	tr := &directTransport{timeout: 5 * time.Second, maxIdle: 4}
	_, _, err := send(t, tr, context.Background(), http.MethodPost, s.URL+"/a", "one")
	require.NoError(t, err)
	s.CloseClientConnections() // the kept connection, idle, closed by the server
	got, status, err := send(t, tr, context.Background(), http.MethodPost, s.URL+"/b", "two")
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, status)
	assert.Equal(t, "POST /b k-1 two", got, "the body sent again whole")
	assert.EqualValues(t, 2, conns.Load())
}

func TestDirectTransportDropsAConnectionTheServerCloses(t *testing.T) {
	var conns atomic.Int32
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	s.Start()
	defer s.Close()
	tr := &directTransport{timeout: 5 * time.Second, maxIdle: 4}
	for range 3 {
		got, _, err := send(t, tr, context.Background(), http.MethodGet, s.URL, "")
		require.NoError(t, err)
		assert.Equal(t, "bye", got)
	}
	assert.EqualValues(t, 3, conns.Load(), "a connection the server closes is not kept")
}

func TestDirectTransportTimesOutAndIsCancelled(t *testing.T) {
	arrived, release := make(chan struct{}, 2), make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
	}))
	defer s.Close()
	defer close(release)
	tr := &directTransport{timeout: 50 * time.Millisecond, maxIdle: 4}
	_, _, err := send(t, tr, context.Background(), http.MethodGet, s.URL, "")
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout(), "%v", err)
	assert.Equal(t, "timeout", loadFault(context.Background(), err))
	<-arrived

	tr.timeout = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived // the request is with the server: the run stops
		cancel()
	}()
	_, _, err = send(t, tr, ctx, http.MethodGet, s.URL, "")
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "cancelled", loadFault(ctx, err))
}

func TestDirectTransportSpeaksHTTPS(t *testing.T) {
	s, conns := echoServer(t, true)
	tr := &directTransport{timeout: 5 * time.Second, maxIdle: 4}
	_, _, err := send(t, tr, context.Background(), http.MethodGet, s.URL, "")
	var unknown x509.UnknownAuthorityError
	assert.ErrorAs(t, err, &unknown, "verified against the system's roots by default")

	roots := x509.NewCertPool()
	roots.AddCert(s.Certificate())
	tr.tls = &tls.Config{RootCAs: roots}
	for range 3 {
		got, _, err := send(t, tr, context.Background(), http.MethodPost, s.URL+"/q", "b")
		require.NoError(t, err)
		assert.Equal(t, "POST /q k-1 b", got)
	}
	assert.EqualValues(t, 2, conns.Load(), "the refused one, then one kept")
}

func TestDirectTransportRefusesOtherSchemes(t *testing.T) {
	tr := &directTransport{timeout: time.Second, maxIdle: 1}
	_, _, err := send(t, tr, context.Background(), http.MethodGet, "ftp://example.test/x", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unsupported protocol scheme "ftp"`)
	assert.False(t, errors.Is(err, context.Canceled))
}

func TestDirectTransportLetsIdleConnectionsGo(t *testing.T) {
	s, conns := echoServer(t, false)
	now := time.Unix(1_700_000_000, 0)
	tr := &directTransport{timeout: 5 * time.Second, maxIdle: 4, now: func() time.Time { return now }}
	get := func() {
		t.Helper()
		_, _, err := send(t, tr, context.Background(), http.MethodGet, s.URL, "")
		require.NoError(t, err)
	}
	get()
	now = now.Add(maxIdleTime - time.Second)
	get()
	assert.EqualValues(t, 1, conns.Load(), "kept less than maxIdleTime: used again")
	now = now.Add(maxIdleTime + time.Second)
	get()
	assert.EqualValues(t, 2, conns.Load(), "kept longer: let go, and a new one made")
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, idle := range tr.idle {
		assert.Len(t, idle, 1, "the new one kept, the old one gone")
	}
}

func TestDirectTransportRefusesALineBreakInAHeader(t *testing.T) {
	s, conns := echoServer(t, false)
	tr := &directTransport{timeout: time.Second, maxIdle: 1}
	req, err := http.NewRequest(http.MethodGet, s.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer abc\r\nX-Injected: 1")
	_, err = tr.RoundTrip(req)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `invalid header field "Authorization"`)
	_, _, err = send(t, tr, context.Background(), http.MethodGet, s.URL, "")
	require.NoError(t, err, "the next request goes on a connection of its own")
	assert.EqualValues(t, 2, conns.Load())
}

// A server that restarted has let every kept connection go: the request
// sent again goes on a new one, not on another of those.
func TestDirectTransportSendsAgainOnANewConnection(t *testing.T) {
	s, conns := echoServer(t, false)
	tr := &directTransport{timeout: 5 * time.Second, maxIdle: 4}
	open := func() *http.Response {
		req, err := http.NewRequest(http.MethodGet, s.URL, nil)
		require.NoError(t, err)
		res, err := tr.RoundTrip(req)
		require.NoError(t, err)
		return res
	}
	a, b := open(), open() // two connections at once
	for _, res := range []*http.Response{a, b} {
		_, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		require.NoError(t, res.Body.Close())
	}
	assert.Len(t, tr.idle["http://"+s.Listener.Addr().String()], 2, "both kept")
	s.CloseClientConnections()
	got, _, err := send(t, tr, context.Background(), http.MethodPost, s.URL+"/c", "three")
	require.NoError(t, err)
	assert.Equal(t, "POST /c k-1 three", got)
	assert.EqualValues(t, 3, conns.Load())
}

package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/ui"
)

// A deployment's console reads one stream per shard (docs/api.md, "Several
// instances on one database"): an instance sends a request for shard K's
// stream to the shard when it runs here, without the shard in its query
// (a shard's stream takes after= only); else through to the instance that
// runs it, marked for the shard and as forwarded, the WebSocket relayed
// both ways; and refuses one that names no shard, or no shard of the
// deployment, or comes from a page of another origin.
func TestShardStreamRoutes(t *testing.T) {
	// Shard 0 runs here; shard 1 on the instance at owner, whose stream
	// echoes back, as its first message, what it was asked.
	var localQuery string
	local := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		localQuery = r.URL.RawQuery
		w.WriteHeader(http.StatusTeapot)
	})
	upgrader := websocket.Upgrader{Subprotocols: []string{ui.Subprotocol}}
	var h *shardHost
	owner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		asked, _ := json.Marshal(map[string]string{"path": r.URL.Path, "query": r.URL.RawQuery, "shard": r.Header.Get(shardHeader),
			"forwarded": strconv.FormatBool(h.forwarded(r)), "origin": r.Header.Get("Origin"), "protocol": r.Header.Get("Sec-Websocket-Protocol")})
		_ = conn.WriteMessage(websocket.TextMessage, asked)
		for { // then echoes what the client says
			kind, b, err := conn.ReadMessage()
			if err != nil {
				return
			}
			_ = conn.WriteMessage(kind, b)
		}
	}))
	defer owner.Close()
	h = &shardHost{shardServe: shardServe{shards: 2, self: "http://instance-a", log: slog.New(slog.DiscardHandler)}, secret: []byte("s"),
		runs: map[int]*shardRun{0: {shard: 0, handler: local}}, owners: map[int]string{0: "http://instance-a", 1: owner.URL}}
	front := httptest.NewServer(h)
	defer front.Close()

	refused := func(query string, header http.Header, status int, message string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, front.URL+ui.StreamPath+query, nil)
		require.NoError(t, err)
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var e tmf630.Error
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
		assert.Equal(t, status, resp.StatusCode, query)
		assert.Contains(t, e.Message, message, query)
	}
	refused("?after=0", nil, http.StatusBadRequest, "a deployment of 2 shards streams each shard's records on their own: ask for one with shard=K (0 to 1)")
	resp, err := http.Get(front.URL + ui.StreamPath)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "2", resp.Header.Get(shardsHeader), "and says how many shards there are")
	refused("?shard=2", nil, http.StatusBadRequest, `shard "2": want a shard from 0 to 1`)
	refused("?shard=01", nil, http.StatusBadRequest, `shard "01": want a shard from 0 to 1`)
	refused("?shard=-1", nil, http.StatusBadRequest, `shard "-1": want a shard from 0 to 1`)
	refused("?shard=0&shard=1", nil, http.StatusBadRequest, "query parameter shard: given 2 times")
	refused("?shard=1", http.Header{"Origin": {"http://elsewhere.example"}}, http.StatusForbidden,
		`Origin "http://elsewhere.example" is not this server's`)

	// Shard 0: here, its query without the shard.
	resp, err = http.Get(front.URL + ui.StreamPath + "?after=7&shard=0")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusTeapot, resp.StatusCode)
	assert.Equal(t, "after=7", localQuery)
	// The header names a shard as well as the query does.
	req, err := http.NewRequest(http.MethodGet, front.URL+ui.StreamPath+"?after=3", nil)
	require.NoError(t, err)
	req.Header.Set(shardHeader, "0")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusTeapot, resp.StatusCode)
	assert.Equal(t, "after=3", localQuery)

	// Shard 1: relayed to its owner, a WebSocket both ways.
	dialer := websocket.Dialer{Subprotocols: []string{ui.Subprotocol, "bearer.TOKEN"}}
	conn, answer, err := dialer.Dial("ws"+strings.TrimPrefix(front.URL, "http")+ui.StreamPath+"?shard=1&after=12",
		http.Header{"Origin": {front.URL}})
	require.NoError(t, err)
	defer conn.Close()
	assert.Equal(t, ui.Subprotocol, answer.Header.Get("Sec-Websocket-Protocol"))
	_, b, err := conn.ReadMessage()
	require.NoError(t, err)
	var asked map[string]string
	require.NoError(t, json.Unmarshal(b, &asked))
	assert.Equal(t, map[string]string{"path": ui.StreamPath, "query": "after=12", "shard": "1", "forwarded": "true",
		"origin": "", "protocol": ui.Subprotocol + ", bearer.TOKEN"}, asked,
		"the owner is asked for its shard's stream, marked, with the caller's token and without the page's origin (another host)")
	require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte("ping")))
	_, b, err = conn.ReadMessage()
	require.NoError(t, err)
	assert.Equal(t, "ping", string(b), "and the connection relayed both ways")

	// The owner gone: the shard is moving, try again.
	owner.CloseClientConnections()
	owner.Close()
	resp, err = http.Get(front.URL + ui.StreamPath + "?shard=1")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, string(body))
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
}

// A request on an order the deployment did not number (a scenario's
// PO-00001, which may be any shard's), by its path or naming it in its
// body (a cancellation), is asked of the shard its number names, then of
// the others while they answer 404 (which changed nothing there); a new
// order is asked of one shard only.
func TestAskedAround(t *testing.T) {
	for _, tt := range []struct {
		method, path, body string
		status             int
		asked              []int
	}{
		{http.MethodPost, tmf630.ProductOrdering + "/cancelProductOrder", `{"productOrder":{"id":"PO-00001"}}`, http.StatusCreated, []int{0, 1}},
		{http.MethodPatch, tmf630.ProductOrdering + "/productOrder/PO-00001", `{"description":"moved"}`, http.StatusOK, []int{0, 1}},
		{http.MethodGet, tmf630.ProductOrdering + "/productOrder/PO-00001", ``, http.StatusOK, []int{0, 1}},
		{http.MethodPost, tmf630.ProductOrdering + "/productOrder", `{"relatedParty":[{"id":"CUST-ENT-00001","role":"customer"}]}`, http.StatusNotFound, nil},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			var asked []int
			shard := func(k, status int) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					asked = append(asked, k)
					b, _ := io.ReadAll(r.Body)
					assert.Equal(t, tt.body, string(b), "shard %d is sent the body", k)
					w.WriteHeader(status)
				})
			}
			h := &shardHost{shardServe: shardServe{shards: 2, self: "http://instance-a", log: slog.New(slog.DiscardHandler)},
				runs:   map[int]*shardRun{0: {shard: 0, handler: shard(0, http.StatusNotFound)}, 1: {shard: 1, handler: shard(1, tt.status)}},
				owners: map[int]string{0: "http://instance-a", 1: "http://instance-a"}}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body)))
			if tt.asked == nil {
				assert.Len(t, asked, 1, "one shard only")
				return
			}
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, tt.asked, asked, "the shard its number names first")
		})
	}
}

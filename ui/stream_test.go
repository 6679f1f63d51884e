package ui

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/store"
)

// journal is a store for the stream's tests: it keeps every record, and
// counts the reads the feed sends it (records behind the feed's window).
type journal struct {
	mu      sync.Mutex
	entries []store.Entry
	reads   atomic.Int64
	feed    *store.Feed
}

func newJournal(window int) *journal {
	j := &journal{}
	j.feed = store.NewFeed(0, window, func(_ context.Context, seq int64, limit int) ([]store.Entry, error) {
		j.reads.Add(1)
		j.mu.Lock()
		defer j.mu.Unlock()
		out := j.entries[seq:]
		if limit >= 0 && len(out) > limit {
			out = out[:limit]
		}
		return append([]store.Entry(nil), out...), nil
	})
	return j
}

// commit appends n records of kind, each with a reason of size bytes,
// and publishes them as one commit.
func (j *journal) commit(n int, kind string, size int) {
	j.mu.Lock()
	first := int64(len(j.entries)) + 1
	records := make([]store.Record, n)
	for i := range records {
		seq := first + int64(i)
		records[i] = store.Record{At: time.Duration(seq) * time.Minute, Kind: kind, Entity: "E-" + strconv.FormatInt(seq, 10),
			To: "inProgress", Reason: strings.Repeat("x", size)}
		j.entries = append(j.entries, store.Entry{Seq: seq, Record: records[i]})
	}
	j.mu.Unlock()
	j.feed.Publish(first, records)
}

// serveStream serves s at StreamPath, as the user id when given.
func serveStream(t *testing.T, s *Stream, id *auth.Identity) string {
	mux := http.NewServeMux()
	mux.Handle("GET "+StreamPath, s)
	h := http.Handler(mux)
	if id != nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mux.ServeHTTP(w, r.WithContext(auth.WithIdentity(r.Context(), *id)))
		})
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + StreamPath
}

func dial(t *testing.T, url string, after int64) *websocket.Conn {
	d := websocket.Dialer{Subprotocols: []string{Subprotocol}}
	conn, res, err := d.Dial(url+"?after="+strconv.FormatInt(after, 10), nil)
	require.NoError(t, err)
	assert.Equal(t, Subprotocol, res.Header.Get("Sec-WebSocket-Protocol"))
	t.Cleanup(func() { conn.Close() })
	return conn
}

// dialSlow connects a client whose socket takes little: its receive
// buffer is 4 KiB, and kept so (no autotuning).
func dialSlow(t *testing.T, url string) *websocket.Conn {
	d := websocket.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
		nd := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
			var err error
			if cerr := c.Control(func(fd uintptr) {
				err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
			}); cerr != nil {
				return cerr
			}
			return err
		}}
		return nd.Dial(network, addr)
	}}
	conn, _, err := d.Dial(url+"?after=0", nil)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// readUntil reads messages until one's Last reaches seq; it returns the
// records read and the last message's Last.
func readUntil(t *testing.T, conn *websocket.Conn, seq int64) (records []Record, last int64) {
	for last < seq {
		var m Message
		require.NoError(t, conn.ReadJSON(&m))
		require.GreaterOrEqual(t, m.Last, last, "messages go forward")
		records = append(records, m.Records...)
		last = m.Last
	}
	return records, last
}

func seqs(records []Record) []int64 {
	out := make([]int64, len(records))
	for i, r := range records {
		out[i] = r.Seq
	}
	return out
}

func upTo(from, to int64) []int64 {
	var out []int64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// A client that reconnects with the last seq it was sent resumes with the
// next record: across the reconnect it sees every record once, in order.
// What it is behind the feed's window comes from the store, once per
// connection; the rest from the window (docs/architecture.md §7).
func TestStreamResumesWithoutGapsOrDuplicates(t *testing.T) {
	j := newJournal(64)
	for range 5 {
		j.commit(40, "serviceOrder", 10) // 200 records, no subscriber yet: none kept
	}
	s := &Stream{Feed: j.feed, Batch: 50, Epoch: time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC)}
	url := serveStream(t, s, nil)

	conn := dial(t, url, 0)
	first, _ := readUntil(t, conn, 200)
	assert.Equal(t, upTo(1, 200), seqs(first))
	assert.Equal(t, int64(4), j.reads.Load(), "200 records behind the window: read from the store once, 50 at a time")
	assert.Equal(t, "PT1M", first[0].At)
	assert.Equal(t, "2024-06-03T00:01:00Z", first[0].Time)

	j.commit(30, "resourceOrder", 10) // live: from the window
	more, last := readUntil(t, conn, 230)
	assert.Equal(t, upTo(201, 230), seqs(more))
	assert.Equal(t, int64(4), j.reads.Load(), "a client in step reads the window, not the store")
	require.NoError(t, conn.Close())

	// Committed while the client was away: it resumes after the last seq
	// it was sent.
	j.commit(20, "resourceOrder", 10)
	conn = dial(t, url, last)
	j.commit(10, "resourceOrder", 10)
	resumed, _ := readUntil(t, conn, 260)
	assert.Equal(t, upTo(231, 260), seqs(resumed))
	all := append(append(first, more...), resumed...)
	assert.Equal(t, upTo(1, 260), seqs(all), "no gap, no duplicate")
}

// A client that does not read is dropped once the commits run MaxLag
// records ahead of it, with what it was sent a gapless prefix; the
// commits (the engine) never wait for it, and a client that reads gets
// every record.
func TestStreamDropsSlowClient(t *testing.T) {
	j := newJournal(store.DefaultWindow)
	s := &Stream{Feed: j.feed, MaxLag: 200, Batch: 100}
	url := serveStream(t, s, nil)
	slow := dialSlow(t, url)
	fast := dial(t, url, 0)
	_, _ = readUntil(t, fast, 0)

	// 2 KiB records: 3,000 of them (6 MiB) are more than the server's
	// send buffer (at most net.ipv4.tcp_wmem's 4 MiB) and the slow
	// client's receive buffer (4 KiB) can hold.
	// The fast client reads each commit before the next: it stays in
	// step; every commit returns without waiting for the slow client.
	const n = 3000
	var got []Record
	for k := int64(1); k <= n/100; k++ {
		j.commit(100, "resourceOrderItem", 2048)
		records, _ := readUntil(t, fast, k*100)
		got = append(got, records...)
	}
	assert.Equal(t, upTo(1, n), seqs(got))

	var prefix []Record
	var err error
	for err == nil {
		var m Message
		if err = slow.ReadJSON(&m); err == nil {
			prefix = append(prefix, m.Records...)
		}
	}
	assert.Equal(t, upTo(1, int64(len(prefix))), seqs(prefix), "what the slow client was sent has no gap")
	assert.Less(t, len(prefix), n, "the slow client was cut off")
	assert.Equal(t, int64(1), s.Drops())
}

// The stream carries each record to the roles that may read its entity:
// sales reads product orders, not resource orders; a caller bound to a
// party is refused the stream, which carries every party's records.
func TestStreamByRole(t *testing.T) {
	j := newJournal(64)
	j.commit(1, "productOrder", 0)
	j.commit(1, "resourceOrder", 0)
	j.commit(1, "hub", 0)
	j.commit(1, "quote", 0)

	for _, tc := range []struct {
		roles []auth.Role
		want  []int64
	}{
		{[]auth.Role{auth.Admin}, []int64{1, 2, 3, 4}},
		{[]auth.Role{auth.Operations}, []int64{1, 2, 4}},
		{[]auth.Role{auth.ApproverTechnical}, []int64{4}},
	} {
		id := auth.Identity{Subject: "someone", Roles: tc.roles}
		conn := dial(t, serveStream(t, &Stream{Feed: j.feed}, &id), 0)
		got, last := readUntil(t, conn, 4)
		assert.Equal(t, tc.want, seqs(got), "%v", tc.roles)
		assert.Equal(t, int64(4), last, "%v: the client's cursor passes what it may not see", tc.roles)
	}
	id := auth.Identity{Subject: "globaltech", Roles: []auth.Role{auth.Sales}, Tenant: "CUST-ENT-1102"}
	_, res, err := websocket.DefaultDialer.Dial(serveStream(t, &Stream{Feed: j.feed}, &id), nil)
	require.Error(t, err)
	assert.Equal(t, http.StatusForbidden, res.StatusCode)

	// A cursor beyond the journal is refused.
	_, res, err = websocket.DefaultDialer.Dial(serveStream(t, &Stream{Feed: j.feed}, nil)+"?after=5", nil)
	require.Error(t, err)
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)

	// A plain GET is told, as every API's error is, what the stream takes.
	res, err = http.Get("http" + strings.TrimPrefix(serveStream(t, &Stream{Feed: j.feed}, nil), "ws") + "?after=0")
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	var e struct{ Code, Message string }
	require.NoError(t, json.NewDecoder(res.Body).Decode(&e))
	assert.Equal(t, "400", e.Code)
	assert.Contains(t, e.Message, "the stream is a WebSocket")
}

// Close ends every connection (going away) and refuses new ones: the
// server stops without waiting for its clients.
func TestStreamClose(t *testing.T) {
	j := newJournal(64)
	j.commit(3, "serviceOrder", 0)
	s := &Stream{Feed: j.feed}
	url := serveStream(t, s, nil)
	conn := dial(t, url, 0)
	_, _ = readUntil(t, conn, 3)
	s.Close()
	var m Message
	err := conn.ReadJSON(&m)
	require.Error(t, err)
	assert.True(t, websocket.IsCloseError(err, websocket.CloseGoingAway), "%v", err)
	_, res, err := websocket.DefaultDialer.Dial(url, nil)
	require.Error(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
}

// parties is a directory of the parties of a few entities.
type parties struct {
	of    map[string]string // field + " " + id → party
	items map[string]string // item → order
	asked int
}

func (p *parties) Party(_ context.Context, field, id string) (string, error) {
	p.asked++
	return p.of[field+" "+id], nil
}

func (p *parties) Order(_ context.Context, _, item string) (string, bool, error) {
	p.asked++
	order, ok := p.items[item]
	return order, ok, nil
}

// A caller bound to a party is sent the records of its party's entities
// only — its quote, its order, the order's items and waves — and none of
// the network's; each entity's party is asked once.
func TestStreamByTenant(t *testing.T) {
	j := newJournal(64)
	commit := func(kind, entity string) {
		j.mu.Lock()
		first := int64(len(j.entries)) + 1
		r := store.Record{Kind: kind, Entity: entity, To: "inProgress"}
		j.entries = append(j.entries, store.Entry{Seq: first, Record: r})
		j.mu.Unlock()
		j.feed.Publish(first, []store.Record{r})
	}
	commit("quote", "QT-1")              // 1: ours
	commit("approval", "QT-1/technical") // 2: ours
	commit("quote", "QT-2")              // 3: theirs
	commit("productOrder", "PO-1")       // 4: ours
	commit("productOrderItem", "POI-1")  // 5: ours
	commit("wave", "PO-1/Pilot")         // 6: ours
	commit("productOrder", "PO-2")       // 7: theirs
	commit("productOrderItem", "POI-2")  // 8: theirs
	commit("serviceOrder", "SO-1")       // 9: the network's
	commit("productOrderItem", "POI-1")  // 10: ours, asked before
	p := &parties{of: map[string]string{"quote QT-1": "CUST-1", "quote QT-2": "CUST-2", "productOrder PO-1": "CUST-1",
		"productOrder PO-2": "CUST-2"}, items: map[string]string{"POI-1": "PO-1", "POI-2": "PO-2"}}
	id := auth.Identity{Subject: "globaltech", Roles: []auth.Role{auth.Sales}, Tenant: "CUST-1"}
	conn := dial(t, serveStream(t, &Stream{Feed: j.feed, Parties: p}, &id), 0)
	got, last := readUntil(t, conn, 10)
	assert.Equal(t, []int64{1, 2, 4, 5, 6, 10}, seqs(got))
	assert.Equal(t, int64(10), last)
	assert.Equal(t, 6, p.asked, "QT-1, QT-2, PO-1, POI-1's order, PO-2, POI-2's order: once each")
}

// The first message of a connection says the caller's roles, for the page
// to show what they may use (page/access.js); the messages after it do
// not repeat them, and a server that authenticates no one sends none.
func TestStreamTellsRoles(t *testing.T) {
	j := newJournal(64)
	j.commit(1, "productOrder", 0)
	id := auth.Identity{Subject: "someone", Roles: []auth.Role{auth.Operations}}
	conn := dial(t, serveStream(t, &Stream{Feed: j.feed}, &id), 0)
	var first Message
	require.NoError(t, conn.ReadJSON(&first))
	assert.Equal(t, []auth.Role{auth.Operations}, first.Roles)
	j.commit(1, "productOrder", 0)
	var next Message
	require.NoError(t, conn.ReadJSON(&next))
	assert.Empty(t, next.Roles)

	conn = dial(t, serveStream(t, &Stream{Feed: j.feed}, nil), 0)
	var anon Message
	require.NoError(t, conn.ReadJSON(&anon))
	assert.Nil(t, anon.Roles)
}

// A stream ends when the token that opened it expires (1008, saying
// so): a credential every other route refuses reads nothing more. One
// that does not expire (an API key: no Expires) is streamed on.
func TestStreamEndsWhenItsTokenExpires(t *testing.T) {
	j := newJournal(64)
	j.commit(1, "productOrder", 0)
	id := auth.Identity{Subject: "someone", Roles: []auth.Role{auth.Operations}, Expires: time.Now().Add(100 * time.Millisecond)}
	conn := dial(t, serveStream(t, &Stream{Feed: j.feed}, &id), 0)
	var err error
	for err == nil {
		var m Message
		err = conn.ReadJSON(&m)
	}
	var closed *websocket.CloseError
	require.ErrorAs(t, err, &closed)
	assert.Equal(t, websocket.ClosePolicyViolation, closed.Code)
	assert.Equal(t, ExpiredReason, closed.Text)

	key := auth.Identity{Subject: "someone", Roles: []auth.Role{auth.Operations}, Method: auth.APIKey}
	conn = dial(t, serveStream(t, &Stream{Feed: j.feed}, &key), 0)
	var m Message
	require.NoError(t, conn.ReadJSON(&m))
	j.commit(1, "productOrder", 0)
	_, last := readUntil(t, conn, 2)
	assert.Equal(t, int64(2), last, "streamed on")
}

// compactedAt is the error of a read behind a compaction (store.Compacted).
type compactedAt int64

func (c compactedAt) Error() string           { return "records compacted into the archive" }
func (c compactedAt) RecordsCompacted() int64 { return int64(c) }

// A client that asks for records the store's journal was compacted behind
// (the console connects with after=0) is streamed from where the journal
// starts, told so in the first message; it was closed with "cannot read
// the journal", and the console never loaded.
func TestStreamOfACompactedStore(t *testing.T) {
	j := newJournal(1)
	j.commit(5, "productOrder", 10)
	kept := j.entries[3:] // records 1 to 3 went into the archive
	feed := store.NewFeed(5, 1, func(_ context.Context, seq int64, limit int) ([]store.Entry, error) {
		if seq < 3 {
			return nil, compactedAt(3)
		}
		out := kept[seq-3:]
		return out[:min(limit, len(out))], nil
	})
	conn := dial(t, serveStream(t, &Stream{Feed: feed}, nil), 0)
	var m Message
	require.NoError(t, conn.ReadJSON(&m))
	assert.Equal(t, int64(3), m.Compacted)
	assert.Equal(t, []int64{4, 5}, seqs(m.Records))
	assert.Equal(t, int64(5), m.Last)
}

// A stream request the stream cannot take is refused with a TMF Error
// like every other route (docs/api.md, "The stream"): a parameter other
// than after, and a page of another origin (the handshake's refusal).
func TestStreamRefusals(t *testing.T) {
	j := newJournal(16)
	url := serveStream(t, &Stream{Feed: j.feed}, nil)
	d := websocket.Dialer{Subprotocols: []string{Subprotocol}}
	for _, c := range []struct {
		query, origin string
		status        int
		says          string
	}{
		{"?foo=1", "", http.StatusBadRequest, `query parameter "foo": the stream takes after only`},
		{"?after=0&after=1", "", http.StatusBadRequest, "query parameter after: given 2 times"},
		{"?after=", "", http.StatusBadRequest, `after "": want a sequence number, 0 or more`}, // was taken for 0
		{"?after=0", "https://evil.example", http.StatusForbidden, `Origin "https://evil.example" is not this server's`},
	} {
		h := http.Header{}
		if c.origin != "" {
			h.Set("Origin", c.origin)
		}
		_, res, err := d.Dial(url+c.query, h)
		require.Error(t, err, c.query)
		require.NotNil(t, res, c.query)
		assert.Equal(t, c.status, res.StatusCode, c.query)
		assert.Contains(t, res.Header.Get("Content-Type"), "application/json", c.query)
		var e struct{ Message string }
		require.NoError(t, json.NewDecoder(res.Body).Decode(&e), c.query)
		assert.Contains(t, e.Message, c.says, c.query)
	}
}

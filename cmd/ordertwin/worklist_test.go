package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/api/worklist"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/ui"
)

// records reads a stream record by record.
type records struct {
	conn *websocket.Conn
	left []ui.Record
}

// follow reads the stream until a record until accepts, and returns it;
// the records after it are read next.
func (rs *records) follow(t *testing.T, what string, until func(ui.Record) bool) ui.Record {
	t.Helper()
	require.NoError(t, rs.conn.SetReadDeadline(time.Now().Add(time.Minute)))
	for {
		for len(rs.left) > 0 {
			r := rs.left[0]
			rs.left = rs.left[1:]
			if until(r) {
				return r
			}
		}
		var m ui.Message
		require.NoError(t, rs.conn.ReadJSON(&m), "waiting for %s", what)
		rs.left = m.Records
	}
}

// call sends a request with an operations token and decodes the answer.
func call(t *testing.T, method, url, token, key string, body any, out any) int {
	t.Helper()
	var b []byte
	if body != nil {
		var err error
		b, err = json.Marshal(body)
		require.NoError(t, err)
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	if out != nil {
		require.NoError(t, json.Unmarshal(data, out), string(data))
	}
	return res.StatusCode
}

// serve resolves the holds of the scenario library through operator
// actions alone: the Brisbane case and the pilot's SLA breach, served
// live without their timed events. Each waits on the worklist until an
// operator acts over the API; the action is on the stream, the order
// then completes, and the input log keeps the action with its actor
// (seed, what-if; the pilot gate includes SLA validation).
func TestServeResolvesHoldsByOperatorActions(t *testing.T) {
	for _, c := range []struct {
		file, item, action, kind string
		// held is the record the hold shows in; ready the one after
		// which acting resolves it (the path is fixed at T+8 days: a
		// record after that); after one the action leads to.
		held, ready, after func(ui.Record) bool
	}{
		{"brisbane-capacity.yaml", "TASK-001", "confirmCapacity", "capacityHeld",
			func(r ui.Record) bool { return r.Entity == "TASK-001" && r.State == "requested" },
			func(r ui.Record) bool { return r.Name == "SO-WAVE2" && r.State == "completed" },
			func(r ui.Record) bool { return r.Name == "SO-WAVE3" && r.State == "completed" }},
		{"pilot-sla-breach.yaml", "PO-2024-01203/Pilot", "reopenGate", "gateHeld",
			func(r ui.Record) bool { return r.Entity == "PO-2024-01203/Pilot" && r.State == "held" },
			func(r ui.Record) bool { return r.Kind == "jeopardy" && r.Entity == "PO-2024-01203/Wave 1" },
			func(r ui.Record) bool { return r.Name == "SO-WAVE2" && r.State == "completed" }},
	} {
		t.Run(c.file, func(t *testing.T) {
			s := serveInProcess(t, withoutEvents(t, c.file), "--scale", "8640000")
			token := devToken(t, s.db, auth.Operations, "")
			conn, _, err := websocket.DefaultDialer.Dial("ws://"+s.addr+ui.StreamPath, http.Header{"Authorization": {"Bearer " + token}})
			require.NoError(t, err)
			defer conn.Close()
			stream := &records{conn: conn}
			stream.follow(t, "the hold", c.held)
			stream.follow(t, "the time to act", c.ready)

			base := "http://" + s.addr
			var items []worklist.Item
			require.Equal(t, http.StatusOK, call(t, "GET", base+worklist.ItemPath+"?kind="+c.kind, token, "", nil, &items))
			require.Len(t, items, 1)
			assert.Equal(t, c.item, items[0].ID)
			assert.Contains(t, items[0].AllowedAction, c.action)

			var a worklist.Action
			body := map[string]any{"action": c.action, "worklistItem": map[string]any{"id": c.item}, "note": "fixed"}
			require.Equal(t, http.StatusCreated, call(t, "POST", base+worklist.ActionPath, token, "op-1", body, &a))
			assert.Equal(t, "test-operations", a.Actor)
			r := stream.follow(t, "the action on the stream", func(r ui.Record) bool { return r.Kind == "operatorAction" })
			assert.Equal(t, ui.Record{Seq: r.Seq, At: r.At, Time: r.Time, Entity: c.item, Name: a.ID, Kind: "operatorAction",
				System: "operator test-operations", State: c.action, Event: c.action, Reason: a.Result + " — fixed"}, r)
			stream.follow(t, "what the action leads to", c.after)
			stream.follow(t, "the order completed", func(r ui.Record) bool { return r.Entity == "PO-2024-01203" && r.State == "completed" })

			items = nil
			require.Equal(t, http.StatusOK, call(t, "GET", base+worklist.ItemPath+"?kind="+c.kind, token, "", nil, &items))
			assert.Empty(t, items, "nothing held any more")
			out, err := cli("journal", s.db, "--inputs")
			require.NoError(t, err)
			var line string
			for _, l := range strings.Split(out, "\n") {
				if strings.Contains(l, "operator.Action") {
					line = l
				}
			}
			assert.Contains(t, line, "test-operations", "the input log keeps the action with its actor: %s", out)
		})
	}
}

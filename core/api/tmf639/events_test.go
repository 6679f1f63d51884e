package tmf639_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/events"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// heard keeps the events a listener's callback is sent.
type heard struct {
	mu  sync.Mutex
	got []events.Event
}

func (h *heard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev events.Event
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &ev); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.got = append(h.got, ev)
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// TMF639 v4 ResourceCreateEvent, ResourceStateChangeEvent,
// ResourceAttributeValueChangeEvent: the resource an event carries has
// the @type a GET of its href gives (OLTPort, VLAN, IPv4Subnet, ...; a
// registered one's as its client wrote it), whether the resource is in
// ROM's memory (a resource order placed over TMF652), on the shelf (the
// worked example's, after its orders left memory, given back by a
// disconnect) or registered by hand.
func TestResourceEventsCarryTheTypeGETGives(t *testing.T) {
	mem := store.NewMemory()
	l := apitest.ServeWorkedExampleWith(t, scenarios.Options{Journal: mem, Log: mem, Retention: time.Hour})
	defer l.Stop()
	srv := l.Sys.API()
	loopback := events.MustCallbacks("127.0.0.0/8")
	srv.Hub.Callbacks = loopback
	h := srv.Handler()
	do := func(method, path, body string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, path, bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	n, err := events.Open(mem, events.Options{Feed: mem.Feed(), Directory: srv.Listeners(), Epoch: l.Sys.Epoch,
		Poll: 20 * time.Millisecond, Callbacks: loopback})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n.Start(ctx)
	defer func() { require.NoError(t, n.Stop()) }()
	in := &heard{}
	cb := httptest.NewServer(in)
	defer cb.Close()
	w := do("POST", tmf630.ResourceInventory+"/hub", `{"callback":"`+cb.URL+`/listener"}`)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	registered := len(mem.Records())

	w = do("POST", resourcesPath, `{"name":"Edge router MEL-01","@type":"Router"}`)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	w = do("POST", tmf630.ResourceOrdering+"/resourceOrder", apitest.VLANResourceOrder)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	l.Idle(t)
	var po []tmf622.ProductOrder
	l.Do(t, "GET", tmf630.ProductOrdering+"/productOrder", nil, &po)
	require.NotEmpty(t, po)
	del := `{"productOrderItem":[{"id":"1","action":"delete","product":{"id":"` + po[0].ProductOrderItem[0].Product.ID + `"}}]}`
	w = do("POST", tmf630.ProductOrdering+"/productOrder", del)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	l.Idle(t)

	want := 0 // every record of a resource after the registration
	for _, r := range mem.Records()[registered:] {
		if r.Kind == "resource" {
			want++
		}
	}
	require.Eventually(t, func() bool {
		in.mu.Lock()
		defer in.mu.Unlock()
		return len(in.got) >= want
	}, 20*time.Second, 10*time.Millisecond, "%d events", want)
	in.mu.Lock()
	got := in.got
	in.mu.Unlock()
	seen := map[string]bool{}
	for _, ev := range got {
		res := ev.Event["resource"]
		require.NotNil(t, res, ev.EventType)
		path := apitest.PathOf(t, res["href"])
		var read map[string]any
		require.NoError(t, json.Unmarshal(do("GET", path, "").Body.Bytes(), &read), path)
		assert.Equal(t, read["@type"], res["@type"], "%s %s", ev.EventType, res["id"])
		assert.Equal(t, read["@baseType"], res["@baseType"], "%s %s", ev.EventType, res["id"])
		assert.True(t, strings.HasPrefix(ev.EventType, "Resource"), ev.EventType)
		seen[res["@type"].(string)+" "+strings.TrimPrefix(ev.EventType, "Resource")] = true
	}
	// Once the orders left memory, their resources' @types are read from
	// the shelf.
	var kept int
	require.NoError(t, l.Sys.Engine.Query(context.Background(), func() { kept = l.Sys.ROM.Resources.Len() }))
	require.Zero(t, kept, "every resource left ROM's memory with its order")
	types, ok := srv.Listeners().(events.Types)
	require.True(t, ok)
	typ, lasting, err := types.Type(context.Background(), "resource", "OLT-SOUTH-03-LC2-P8")
	require.NoError(t, err)
	assert.Equal(t, events.EntityType{Type: "OLTPort", BaseType: "PhysicalResource"}, typ)
	assert.True(t, lasting)
	for _, s := range []string{"Router CreateEvent", "VLAN CreateEvent", "IPv4Subnet CreateEvent", "VLAN StateChangeEvent",
		"OLTPort StateChangeEvent", "IPv4Subnet StateChangeEvent", "CPE StateChangeEvent"} {
		assert.True(t, seen[s], "%s among %v", s, seen)
	}
}

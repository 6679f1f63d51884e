package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/events"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inbox is a listener's endpoint: it keeps the events it is sent and
// says how many it has.
type inbox struct {
	mu   sync.Mutex
	got  []events.Event
	more chan struct{}
}

func (in *inbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev events.Event
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	in.mu.Lock()
	in.got = append(in.got, ev)
	in.mu.Unlock()
	select {
	case in.more <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusCreated)
}

// await waits until the inbox holds n events (or fails after a minute:
// a guard, not a synchronisation) and returns them.
func (in *inbox) await(t *testing.T, n int) []events.Event {
	t.Helper()
	guard := time.After(time.Minute)
	for {
		in.mu.Lock()
		got := append([]events.Event(nil), in.got...)
		in.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-in.more:
		case <-guard:
			t.Fatalf("%d events after a minute, want %d", len(got), n)
		}
	}
}

// The worked example's events reach the listeners on the TMF hubs: over
// HTTP, from the durable journal, in journal order (so in order per
// entity), each event id the record's sequence number. The product order's
// listener sees it created, started, each of its five sites' items start
// and complete, and the order complete; the quote's listener and a
// filtered listener on TMF641 get what they asked for.
func TestWorkedExampleOnTheHub(t *testing.T) {
	sc := load(t, globaltech)
	spec := sc.Spec
	placed := spec.Orders
	spec.Orders = nil // placed once the listeners are registered
	sys, st, register := serveHub(t, spec)
	ctx := context.Background()
	orders := register(events.ProductOrdering.Base, "")
	quotes := register(events.QuoteManagement.Base, "eventType=QuoteStateChangeEvent")
	done641 := register(events.ServiceOrdering.Base, "event.serviceOrder.state=completed")
	products := register(events.ProductInventory.Base, "eventType=ProductCreateEvent")
	vlans := register(events.ResourceInventory.Base, "")
	milestones := register(events.ResourceOrdering.Base, "eventType=ResourceOrderMilestoneEvent")

	for i, p := range placed {
		require.Zero(t, p.At, "placed at T+0, as New would")
		_, err := sys.Engine.Command(ctx, engine.COM, p.Quote)
		require.NoError(t, err)
		_, err = sys.Engine.Command(ctx, engine.COM, com.OrderRequest{Order: com.NewOrder(p.OrderID, p.Quote, fmt.Sprintf("QT-%03d", i+1))})
		require.NoError(t, err)
	}
	for pending := -1; pending != 0; {
		require.NoError(t, sys.Engine.Query(ctx, func() { pending = sys.Engine.Pending() }))
	}

	// What the listener on TMF622 must get: every record of the order
	// and its items, in journal order, the record's seq as the event id.
	held, err := st.Records()
	require.NoError(t, err)
	var want []string
	for i, r := range held {
		if r.Kind == "productOrder" || r.Kind == "productOrderItem" {
			want = append(want, strconv.Itoa(i+1))
		}
	}
	require.Len(t, want, 13, "created, started, 5 items started, 5 completed, completed")
	got := orders.await(t, len(want))
	var ids, lines []string
	for _, ev := range got {
		ids = append(ids, ev.EventID)
		po := ev.Event["productOrder"]
		line := ev.EventType + " " + po["id"].(string)
		if s, ok := po["state"]; ok {
			line += " " + s.(string)
		}
		if items, ok := po["productOrderItem"].([]any); ok {
			it := items[0].(map[string]any)
			line += " " + it["id"].(string) + "=" + it["state"].(string)
		}
		lines = append(lines, line)
		assert.Equal(t, "/tmf-api/productOrderingManagement/v4/productOrder/PO-2024-01203", po["href"])
	}
	assert.Equal(t, want, ids, "each record once, in journal order")
	assert.Equal(t, []string{
		"ProductOrderCreateEvent PO-2024-01203 acknowledged",
		"ProductOrderStateChangeEvent PO-2024-01203 inProgress",
		"ProductOrderAttributeValueChangeEvent PO-2024-01203 POI-001=inProgress",
		"ProductOrderAttributeValueChangeEvent PO-2024-01203 POI-002=inProgress",
		"ProductOrderAttributeValueChangeEvent PO-2024-01203 POI-003=inProgress",
		"ProductOrderAttributeValueChangeEvent PO-2024-01203 POI-004=inProgress",
		"ProductOrderAttributeValueChangeEvent PO-2024-01203 POI-005=inProgress",
		"ProductOrderAttributeValueChangeEvent PO-2024-01203 POI-001=completed", // MELB, the pilot
		"ProductOrderAttributeValueChangeEvent PO-2024-01203 POI-002=completed", // Wave 1
		"ProductOrderAttributeValueChangeEvent PO-2024-01203 POI-003=completed",
		"ProductOrderAttributeValueChangeEvent PO-2024-01203 POI-004=completed", // Wave 2
		"ProductOrderAttributeValueChangeEvent PO-2024-01203 POI-005=completed",
		"ProductOrderStateChangeEvent PO-2024-01203 completed",
	}, lines)
	assert.Equal(t, spec.Epoch.Add(35*24*time.Hour).UTC().Format(time.RFC3339), got[len(got)-1].EventTime, "completed at T+35d")

	var states []string
	for _, ev := range quotes.await(t, 3) {
		states = append(states, ev.EventType+" "+ev.Event["quote"]["state"].(string))
	}
	assert.Equal(t, []string{"QuoteStateChangeEvent pending", "QuoteStateChangeEvent approved", "QuoteStateChangeEvent accepted"}, states)
	var sos []string
	for _, ev := range done641.await(t, 3) {
		sos = append(sos, ev.Event["serviceOrder"]["id"].(string)+" "+ev.Event["serviceOrder"]["state"].(string))
	}
	assert.Equal(t, []string{"SO-001 completed", "SO-002 completed", "SO-003 completed"}, sos, "Pilot, Wave 1, Wave 2")

	// The inventories' hubs: each product made, and each resource's
	// life (reserved when allocated, available once committed).
	var made []string
	for _, ev := range products.await(t, 5) {
		made = append(made, ev.Event["product"]["status"].(string))
	}
	assert.Equal(t, []string{"active", "active", "active", "active", "active"}, made)
	first := vlans.await(t, 10)
	assert.Equal(t, "ResourceCreateEvent", first[0].EventType)
	assert.Equal(t, "reserved", first[0].Event["resource"]["resourceStatus"])
	i := slices.IndexFunc(first, func(ev events.Event) bool { return ev.EventType == "ResourceStateChangeEvent" })
	require.GreaterOrEqual(t, i, 0)
	assert.Equal(t, "available", first[i].Event["resource"]["resourceStatus"], "v4's resourceStatus, as GET shows it")

	// The CE routers' shipments, milestone by milestone (seed: staged,
	// shipped, delivered, installed by ZTP), on the TMF652 hub.
	var reached []string
	heard := milestones.await(t, 20)
	require.Len(t, heard, 20, "five routers, four milestones each")
	for _, ev := range heard[:4] {
		m := ev.Event["resourceOrder"]["milestone"].([]any)[0].(map[string]any)
		reached = append(reached, m["name"].(string))
	}
	assert.Equal(t, []string{"staged", "inTransit", "delivered", "installed"}, reached, "MELB's router, the pilot")
	assert.Equal(t, "RO-001", heard[0].Event["resourceOrder"]["id"], "MELB's resource order")
}

// serveHub serves spec's system, its journal in a SQLite store, with its
// hub notifier running until the test ends; register registers a listener
// on the hub at base with query and returns its inbox.
func serveHub(t *testing.T, spec Spec) (sys *System, st *sqlite.Store, register func(base, query string) *inbox) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "serve.db")
	st, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	sys, err = New(spec, Options{Journal: st, Log: st})
	require.NoError(t, err)
	srv := sys.API()
	loopback := events.MustCallbacks("127.0.0.0/8") // the listeners are httptest servers
	srv.Hub.Callbacks = loopback
	n, err := events.Open(st, events.Options{Feed: st.Feed(), Directory: srv.Listeners(), Epoch: spec.Epoch,
		Poll: 50 * time.Millisecond, Callbacks: loopback})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sys.Engine.Serve(ctx) }()
	n.Start(ctx)
	api := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		api.Close()
		require.NoError(t, n.Stop())
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	})
	register = func(base, query string) *inbox {
		in := &inbox{more: make(chan struct{}, 1)}
		l := httptest.NewServer(in)
		t.Cleanup(l.Close)
		body, err := json.Marshal(map[string]string{"callback": l.URL + "/listener", "query": query})
		require.NoError(t, err)
		res, err := http.Post(api.URL+base+"/hub", "application/json", strings.NewReader(string(body)))
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusCreated, res.StatusCode)
		return in
	}
	return sys, st, register
}

package events_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/events"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/stretchr/testify/require"
)

// benchDir knows the benchmark's listeners, and never changes.
type benchDir map[string]events.Listener

func (d benchDir) Listener(_ context.Context, id string) (events.Listener, bool, error) {
	l, ok := d[id]
	return l, ok, nil
}
func (d benchDir) Order(context.Context, string, string) (string, bool, error) { return "", false, nil }
func (d benchDir) Suspend(context.Context, string, string) error               { return nil }

// delivered counts the events delivered, in process, and says when a
// count is reached.
type delivered struct {
	n, want atomic.Int64
	reached chan struct{}
}

func (d *delivered) RoundTrip(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	if d.n.Add(1) == d.want.Load() {
		d.reached <- struct{}{}
	}
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: r}, nil
}

// BenchmarkDeliver measures one committed record (a product order's state
// change) delivered to the listeners whose query takes it, with many more
// listeners registered that take other events: the cost per record
// follows the listeners that match, not those registered. An op is the
// commit, the notifier's read and the deliveries.
func BenchmarkDeliver(b *testing.B) {
	for _, c := range []struct{ listeners, matching int }{{100, 1}, {1000, 1}, {5000, 1}, {5000, 100}} {
		b.Run(fmt.Sprintf("listeners=%d/matching=%d", c.listeners, c.matching), func(b *testing.B) {
			file := filepath.Join(b.TempDir(), "journal.db")
			st, err := sqlite.Open(file, sqlite.Options{})
			require.NoError(b, err)
			defer st.Close()
			dir := benchDir{}
			var regs []store.Record
			for i := range c.listeners {
				id := fmt.Sprintf("HUB-%05d", i+1)
				query := "eventType=ProductOrderCreateEvent"
				if i < c.matching {
					query = "eventType=ProductOrderStateChangeEvent"
				}
				dir[id] = events.Listener{ID: id, Callback: fmt.Sprintf("http://h%d.test/", i), Query: query, Base: events.ProductOrdering.Base}
				regs = append(regs, store.Record{Kind: "hub", Entity: id, System: "API", To: "created", Event: "create"})
			}
			require.NoError(b, st.Append(regs))
			net := &delivered{reached: make(chan struct{}, 1)}
			n, err := events.Open(st, events.Options{Feed: st.Feed(), Directory: dir, Client: &http.Client{Transport: net}, Poll: time.Hour})
			require.NoError(b, err)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			n.Start(ctx)
			defer n.Stop()
			state := func(i int) {
				net.want.Add(int64(c.matching))
				require.NoError(b, st.Append([]store.Record{{Kind: "productOrder", Entity: "PO-1", System: "COM",
					From: "inProgress", To: fmt.Sprintf("s%d", i), Event: "change"}}))
				<-net.reached
			}
			state(-1) // every listener registered
			b.ResetTimer()
			for i := range b.N {
				state(i)
			}
		})
	}
}

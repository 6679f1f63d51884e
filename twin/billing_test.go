package twin

import (
	"fmt"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Billing bills the sites connected: a disconnect ends its site's
// subscriptions, and a twin that connects as many sites as it disconnects
// keeps a book (and a snapshot) of the same size, however long it runs.
func TestBillingKeepsTheSitesBilled(t *testing.T) {
	tw := newTwin(t, auEast(t))
	tw.Forget() // in process, as a server's: the answers are the engine's to keep
	bill := func(at time.Duration, op port.Op, item string, s site, amount float64) {
		t.Helper()
		call(t, tw, at, &port.Request{Key: item + "/" + string(op), System: port.Billing, Op: op, Item: item, Site: s.code, Place: s.place(), Amount: amount})
	}
	bill(hours(1), port.Activate, "POI-1", melbHQ, 1800)
	bill(hours(2), port.Activate, "POI-2", syd1, 1800)
	bill(hours(3), port.Activate, "POI-3", melbHQ, 2400) // a change of speed: billed anew
	bill(hours(4), port.Deactivate, "POI-4", melbHQ, 2400)
	assert.Equal(t, []BillingRecord{{Item: "POI-2", Site: "SYD1", Monthly: 1800, From: hours(2)}}, tw.Billing())

	before, err := tw.Snapshot()
	require.NoError(t, err)
	for i := range 500 {
		at := hours(10 + 2*i)
		bill(at, port.Activate, fmt.Sprintf("POI-A%d", i), melbHQ, 1800)
		bill(at+time.Hour, port.Deactivate, fmt.Sprintf("POI-D%d", i), melbHQ, 1800)
	}
	after, err := tw.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, []BillingRecord{{Item: "POI-2", Site: "SYD1", Monthly: 1800, From: hours(2)}}, tw.Billing())
	assert.InDelta(t, len(before), len(after), 64, "500 sites connected and disconnected: the snapshot the same size")
}

// A snapshot of an earlier build kept every activation and every stop:
// restored, the twin bills the sites still connected.
func TestRestoreTheBillingOfAnEarlierBuild(t *testing.T) {
	tw := newTwin(t, auEast(t))
	s, err := tw.Snapshot()
	require.NoError(t, err)
	old := resaved(t, s, func(st *saved) {
		st.Billing = []BillingRecord{{Item: "POI-1", Site: "MELB", Monthly: 1800, From: hours(1)},
			{Item: "POI-2", Site: "SYD1", Monthly: 1800, From: hours(2)},
			{Item: "POI-3", Site: "MELB", Monthly: 1800, From: hours(3), Stop: true}}
	})
	again := newTwin(t, auEast(t))
	require.NoError(t, again.Restore(old))
	assert.Equal(t, []BillingRecord{{Item: "POI-2", Site: "SYD1", Monthly: 1800, From: hours(2)}}, again.Billing())
}

package system_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/system"
	"github.com/ordertwin/ordertwin/scenarios"
)

// billing is a fake billing system: it starts and stops billing an hour
// after it is asked, and keeps what it was asked.
type billing struct{ calls []port.Request }

func (b *billing) Call(now time.Duration, req *port.Request, reply port.Replier) {
	b.calls = append(b.calls, *req)
	reply.Reply(now+time.Hour, &port.Result{Key: req.Key, System: req.System, Op: req.Op, Item: req.Item, Handle: req.Handle, Final: true})
}

// The worked example with one system answered by an adapter of the
// caller's and every other by the twin: the order completes, each site's
// billing start goes to that adapter, and the twin bills nothing
// (seed: "T+35 days: billing starts for every site").
func TestAdapterPerSystem(t *testing.T) {
	sc, err := scenarios.LoadLibrary("globaltech-5site.yaml")
	require.NoError(t, err)
	fake := &billing{}
	sys, err := scenarios.New(sc.Spec, scenarios.Options{Adapters: map[port.System]port.Adapter{port.Billing: fake}})
	require.NoError(t, err)
	require.NoError(t, sys.Run(context.Background()))

	orders := sys.COM.Orders()
	require.Len(t, orders, 1)
	assert.Equal(t, "completed", orders[0].State)
	require.Len(t, fake.calls, 5, "one billing start per site")
	sites := map[string]bool{}
	for _, c := range fake.calls {
		assert.Equal(t, port.Billing, c.System)
		assert.Equal(t, port.Activate, c.Op)
		sites[c.Site] = true
	}
	assert.Len(t, sites, 5)
	assert.Empty(t, sys.Twin.Billing(), "the twin was not asked")
}

// New refuses an adapter for a system the core does not know, and a
// role it does not have.
func TestNewRefuses(t *testing.T) {
	sc, err := scenarios.LoadLibrary("globaltech-5site.yaml")
	require.NoError(t, err)
	_, err = system.New(system.Config{Catalog: sc.Spec.Catalog, Adapters: map[port.System]port.Adapter{"billling": &billing{}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `adapter for system "billling": no such system (the systems: qualification, credit,`)

	_, err = system.New(system.Config{Catalog: sc.Spec.Catalog, Role: "cpq"})
	assert.EqualError(t, err, `role "cpq": want com, som or rom`)

	_, err = system.New(system.Config{Catalog: sc.Spec.Catalog, Role: "som"})
	assert.EqualError(t, err, "role som needs a peer for COM")
}

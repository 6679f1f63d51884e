package scenarios

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/ordertwin/ordertwin/adapters/netconf"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/store"
)

// rehearse runs the worked example with the access system rehearsed: the
// NETCONF adapter renders each call, the twin answers it. It returns what
// the rehearsal recorded and the journal.
func rehearse(t *testing.T, key ssh.PublicKey) ([]port.Rehearsed, []store.Record) {
	t.Helper()
	sc, err := Load(globaltech)
	require.NoError(t, err)
	mem := store.NewMemory()
	sys, err := New(sc.Spec, Options{Journal: mem})
	require.NoError(t, err)
	addresses := map[string]string{}
	for _, a := range sc.Spec.Network.Addresses {
		addresses[a.Address] = a.Area
	}
	access, err := netconf.New(netconf.Config{Devices: map[string]netconf.Endpoint{
		"OLT-SOUTH-03": {Addr: "olt-south-03.example:830", User: "ordertwin", Password: "unused", HostKey: key},
		"OLT-BNE-07":   {Addr: "olt-bne-07.example:830", User: "ordertwin", Password: "unused", HostKey: key},
		"SYD-EX-01":    {Addr: "syd-ex-01.example:830", User: "ordertwin", Password: "unused", HostKey: key}},
		// The adapter allocates (its reserves name no port): the
		// rehearsal renders them for the twin's pick.
		Areas: map[string]netconf.Area{"SOUTH-03": {OLTs: []string{"OLT-SOUTH-03"}}, "BNE-CBD": {OLTs: []string{"OLT-BNE-07"}},
			"SYD-CBD": {Exchange: "SYD-EX-01"}},
		Addresses: addresses})
	require.NoError(t, err)
	r := port.NewRehearsal(access, sys.Twin)
	sys.Engine.Attach(r, port.Access)
	require.NoError(t, sys.Engine.Run(context.Background()))
	return r.Sent(), mem.Records()
}

// A dry run of the worked example (architecture §5, plan → apply →
// verify): with the access system rehearsed, the run reaches the same
// journal as the twin alone, and the rehearsal records every access call,
// per resource order item in call order, each with what NETCONF would
// send or why it could not be rendered; two rehearsals record the same.
func TestRehearsalOfTheWorkedExample(t *testing.T) {
	sc, err := Load(globaltech)
	require.NoError(t, err)
	mem := store.NewMemory()
	plain, err := New(sc.Spec, Options{Journal: mem})
	require.NoError(t, err)
	require.NoError(t, plain.Engine.Run(context.Background()))

	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	key, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	sent, journal := rehearse(t, key)
	assert.Equal(t, mem.Records(), journal, "the twin answers: the run goes on as without the rehearsal")

	require.NotEmpty(t, sent)
	var pilot []port.Rehearsed
	for _, r := range sent {
		assert.Equal(t, port.Access, r.System)
		assert.True(t, len(r.Sent) > 0 || r.Err != nil, "%s: either what is sent or why not", r.Key)
		// ROM's requests carry what the adapter reads: every call, an OLT
		// port's or a P2P handoff's, is rendered.
		assert.Nil(t, r.Err, "%s", r.Key)
		if r.Item == "ROI-001" {
			pilot = append(pilot, r)
		}
		if r.Item == "ROI-007" && r.Op == port.Reserve && assert.Len(t, r.Sent, 8, "with the read of the port") {
			// The Sydney sites' P2P handoff, on the port the twin picked:
			// read, then described by its item.
			assert.Equal(t, "get-config", r.Sent[1].Op)
			assert.Contains(t, r.Sent[2].Body, "<name>p2p-31</name>")
			assert.Contains(t, r.Sent[2].Body, "<description>ROI-007</description>")
		}
	}
	require.Len(t, pilot, 2, "the pilot's OLT port item: reserve, then commit")
	assert.Equal(t, []port.Op{port.Reserve, port.Commit}, []port.Op{pilot[0].Op, pilot[1].Op})
	// The twin picked OLT-SOUTH-03 LC2 Port 8 at the reserve; the commit,
	// before the site's VLAN and QoS policy exist, activates the ONT at the
	// bearer's 1G.
	assert.Equal(t, "get-config", pilot[0].Sent[1].Op, "the OLT read first, to pick")
	assert.Contains(t, pilot[0].Sent[2].Body, "<name>vani-LC2-P8</name>")
	assert.Contains(t, pilot[1].Sent[1].Body, "<name>BW-1000-1000-BEARER</name>")
	again, _ := rehearse(t, key)
	assert.Equal(t, sent, again, "deterministic")
}

// configs records the Config of every commit, by item, and has the twin
// answer.
type configs struct {
	twin port.Adapter
	got  map[string]port.Config
}

func (c *configs) Call(now time.Duration, req *port.Request, reply port.Replier) {
	if req.Op == port.Commit {
		c.got[req.Item] = req.Config
	}
	c.twin.Call(now, req, reply)
}
func (c *configs) InProcess() bool { return true }

// ROM's commits carry what the real adapters read (port.Config): the
// pilot's bearer its speed only (its VLAN and policy come after it); the
// SLA probe, after the QoS item, the site's VLAN 2108, its /29, the
// BW-500-500-GOLD-ENT policy and the Gold tier. The run is the same.
func TestROMsCommitsCarryTheConfig(t *testing.T) {
	sc, err := Load(globaltech)
	require.NoError(t, err)
	mem := store.NewMemory()
	sys, err := New(sc.Spec, Options{Journal: mem})
	require.NoError(t, err)
	c := &configs{twin: sys.Twin, got: map[string]port.Config{}}
	for _, s := range []port.System{port.Access, port.NMS} {
		sys.Engine.Attach(c, s)
	}
	require.NoError(t, sys.Engine.Run(context.Background()))
	assert.Equal(t, port.Config{SpeedMbps: 1000}, c.got["ROI-001"])
	assert.Equal(t, port.Config{VLAN: 2108, Subnet: "10.88.12.0/29", Profile: "BW-500-500-GOLD-ENT", Tier: "Gold"}, c.got["ROI-005"])
}

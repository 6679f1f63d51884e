package netconf

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
	tnc "github.com/ordertwin/ordertwin/twin/netconf"
)

// The dry run lists the transaction's rpcs in the order Do sends them,
// each operation element as written inside <rpc>; the edit-config's
// <config> is what the OLT receives (docs/adapters.md, "One call, one
// transaction").
func TestDryRunIsTheTransaction(t *testing.T) {
	o := startOLT(t)
	a := o.adapter(t, 10*time.Second)
	sent, perr := a.DryRun(reserveReq("ROI-001"))
	require.Nil(t, perr)
	var ops []string
	for _, s := range sent {
		ops = append(ops, s.Op)
		assert.Equal(t, "netconf", s.Protocol)
		assert.Equal(t, o.ep.Addr, s.To, "the OLT's endpoint, no credential")
	}
	assert.Equal(t, []string{"lock", "edit-config", "validate", "commit", "get-config", "commit", "unlock"}, ops)
	assert.Equal(t, "<commit><confirmed/><confirm-timeout>30</confirm-timeout></commit>", sent[3].Body)
	assert.Empty(t, o.dev.Edits(), "a dry run sends nothing")

	res := a.Do(context.Background(), reserveReq("ROI-001"))
	require.Nil(t, res.Err)
	edits := o.dev.Edits()
	require.Len(t, edits, 1)
	assert.Contains(t, sent[1].Body, "<config>"+string(edits[0])+"</config>", "the edit sent is the dry run's")

	_, perr = a.DryRun(&port.Request{Key: "ROI-001/reserve/1", System: port.Access, Op: port.Reserve, Item: "ROI-001", ResourceType: "OLTPort",
		Characteristics: tmf.Characteristics{{Name: "olt", Value: "OLT-NORTH-01"}, {Name: "lineCard", Value: "1"}, {Name: "port", Value: "1"}}})
	require.NotNil(t, perr)
	assert.Equal(t, "unknownOLT", perr.Code, "an OLT with no endpoint")
}

// pilotTwin answers the pilot's OLT port calls in process, as the twin
// does: the reserve with OLT-SOUTH-03 LC2 Port 8, the commit with it
// available.
type pilotTwin struct{ calls int }

func (p *pilotTwin) InProcess() bool { return true }

func (p *pilotTwin) Call(now time.Duration, req *port.Request, reply port.Replier) {
	p.calls++
	r := &tmf.Resource{ID: "OLT-SOUTH-03-LC2-P8", ResourceType: "OLTPort", State: "reserved",
		Characteristics: tmf.Characteristics{{Name: CharOLT, Value: oltName}, {Name: CharLineCard, Value: "2"}, {Name: CharPort, Value: "8"}}}
	if req.Op == port.Commit {
		r.State = "available"
	}
	reply.Reply(now+time.Minute, &port.Result{Key: req.Key, System: req.System, Op: req.Op, Item: req.Item, Final: true, Resource: r})
}

type collect []*port.Result

func (c *collect) Reply(_ time.Duration, res *port.Result) { *c = append(*c, res) }

// A rehearsal of the worked example's pilot bearer (ROI-001: OLT-SOUTH-03
// LC2 Port 8, ONT ALCL0A1B2C3D, VLAN 2108, BW-500-500-GOLD-ENT) records
// the NETCONF reserve and commit transactions for the item, sends nothing
// to the OLT, and the twin answers both calls.
func TestRehearsalOfThePilotBearer(t *testing.T) {
	o := startOLT(t)
	tw := &pilotTwin{}
	r := port.NewRehearsal(o.adapter(t, 10*time.Second), tw)
	var answers collect
	r.Call(0, reserveReq("ROI-001"), &answers)
	require.Len(t, answers, 1)
	r.Call(time.Minute, commitReq("ROI-001", answers[0].Resource), &answers)
	require.Len(t, answers, 2)
	assert.Equal(t, 2, tw.calls)
	assert.Empty(t, o.dev.Edits(), "nothing reached the OLT")

	got := r.Sent()
	require.Len(t, got, 2)
	edit := func(i int) string {
		require.Nil(t, got[i].Err)
		require.Len(t, got[i].Sent, 7)
		require.Equal(t, "edit-config", got[i].Sent[1].Op)
		return got[i].Sent[1].Body
	}
	assert.Equal(t, []string{"ROI-001", "ROI-001"}, []string{got[0].Item, got[1].Item})
	assert.Equal(t, []port.Op{port.Reserve, port.Commit}, []port.Op{got[0].Op, got[1].Op})
	reserve := edit(0)
	assert.Contains(t, reserve, `nc:operation="create"`)
	assert.Contains(t, reserve, "<name>vani-LC2-P8</name>")
	assert.Contains(t, reserve, "<description>ROI-001</description>")
	commit := edit(1)
	for _, want := range []string{"ALCL0A1B2C3D", "<vlan-id>2108</vlan-id>", "BW-500-500-GOLD-ENT", "uplink-1.2108"} {
		assert.Contains(t, commit, want)
	}
	assert.True(t, strings.HasPrefix(commit, "<edit-config><target><candidate/></target>"), commit[:60])
}

// With NoValidate the transaction sends no <validate>: the dry run lists
// six rpcs, and a fault waiting on the twin's validate never fires.
func TestNoValidate(t *testing.T) {
	o := startOLT(t)
	a, err := New(Config{Devices: map[string]Endpoint{oltName: o.ep}, Timeout: 10 * time.Second, NoValidate: true,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	sent, perr := a.DryRun(reserveReq("ROI-001"))
	require.Nil(t, perr)
	var ops []string
	for _, s := range sent {
		ops = append(ops, s.Op)
	}
	assert.Equal(t, []string{"lock", "edit-config", "commit", "get-config", "commit", "unlock"}, ops)

	f := o.dev.Inject(&tnc.Fault{Op: "validate", Kind: tnc.OperationFailed, Times: 1})
	res := a.Do(context.Background(), reserveReq("ROI-001"))
	require.Nil(t, res.Err)
	assert.Zero(t, f.Hits())
	assert.True(t, holds(t, o))
}

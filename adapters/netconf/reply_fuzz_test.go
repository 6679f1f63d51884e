package netconf

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/netconf"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/watchdog"
	tnc "github.com/ordertwin/ordertwin/twin/netconf"
)

// FuzzInterfacesReply: whatever a device answers to the read of its
// interfaces, the allocation of a PON port or a P2P handoff, and the
// check of a handoff named, return within bounds and never panic; a port
// taken is one the device has and no other item holds, and a failure
// reads as one of the failure policy's classes.
func FuzzInterfacesReply(f *testing.F) {
	olt, err := tnc.NewDevice("OLT-1", []tnc.Card{{Slot: 1, Ports: 2}, {Slot: 2, Ports: 4}}, tnc.WallClock{})
	require.NoError(f, err)
	e, err := Render(port.Reserve, Service{Item: "someone else", OLT: "OLT-1", Slot: 1, Port: 1, ONUID: 1})
	require.NoError(f, err)
	require.NoError(f, olt.Load(e.Config))
	ex, err := tnc.NewExchange("EX-1", 3, tnc.WallClock{})
	require.NoError(f, err)
	h, err := RenderHandoff(port.Reserve, Handoff{Item: "someone else", Exchange: "EX-1", Port: 1})
	require.NoError(f, err)
	require.NoError(f, ex.Load(h.Config))
	for _, data := range [][]byte{olt.Running(), ex.Running()} {
		f.Add(append(append([]byte("<data>"), data...), "</data>"...))
	}
	for _, s := range []string{
		`<data><interfaces xmlns="` + ifNS + `"><interface><name>cpair-LC01-P1</name></interface><interface><name>p2p-007</name></interface></interfaces></data>`,
		`<data><interfaces xmlns="` + ifNS + `"><interface><name>cpair-LC99999999999999999999-P1</name></interface><interface><name>p2p-0</name></interface></interfaces></data>`,
		`<data><interfaces xmlns="` + ifNS + `"><interface><name>eth0</name></interface></interfaces></data>`,
		`<data/>`, `<ok/>`, `<data><interfaces><interface>`, `<data>text</data>`,
		string(netconf.ReplyError("1", netconf.Error{Type: "protocol", Tag: netconf.LockDenied})),
	} {
		f.Add([]byte(s))
	}
	a := allocating(f, map[string]Endpoint{"OLT-1": never(f), "EX-1": never(f)}, Area{OLTs: []string{"OLT-1"}, Exchange: "EX-1"})
	f.Fuzz(func(t *testing.T, body []byte) {
		defer watchdog.Arm(2 * time.Second)()
		ctx := context.Background()
		names := interfaceNames(body)

		req := allocation("ROI-1", "OLTPort")
		e, err := a.pickPON(ctx, parrotSession(t, body), req, "OLT-1")
		if err == nil {
			require.NotNil(t, e.Service)
			_, has := names[e.Service.ChannelPair()]
			assert.True(t, has, "%s is a channel pair of the device: %v", e.Service.ChannelPair(), names)
			if d, used := names[e.Service.VANI()]; used {
				assert.Equal(t, a.Mark(req.Item), d, "%s is free or the item's", e.Service.VANI())
			}
		} else {
			classified(t, err)
		}

		req = allocation("ROI-1", "P2PHandoff")
		e, err = a.pickHandoff(ctx, parrotSession(t, body), req, "EX-1")
		if err == nil {
			require.NotNil(t, e.Handoff)
			d, has := names[e.Handoff.Interface()]
			assert.True(t, has, "%s is a port of the exchange: %v", e.Handoff.Interface(), names)
			assert.Contains(t, []string{"", a.Mark(req.Item)}, d, "%s is free or the item's", e.Handoff.Interface())
		} else {
			classified(t, err)
		}

		named := &Edit{Device: "EX-1", Handoff: &Handoff{Item: "ROI-1", Exchange: "EX-1", Port: 2}}
		if err := handoffFree(ctx, parrotSession(t, body), named); err == nil {
			d, has := names["p2p-2"]
			assert.True(t, has, "p2p-2 is a port of the exchange: %v", names)
			assert.Contains(t, []string{"", "ROI-1"}, d)
		} else {
			classified(t, err)
		}
	})
}

// interfaceNames are the interfaces a reply's <data> names, with their
// descriptions, read apart from the adapter.
func interfaceNames(body []byte) map[string]string {
	names := map[string]string{}
	for _, top := range dataTree(body) {
		for _, i := range top.Children {
			if top.Name.Local == "interfaces" && i.Name.Local == "interface" {
				if _, seen := names[text(i, "name")]; !seen {
					names[text(i, "name")] = text(i, "description")
				}
			}
		}
	}
	return names
}

// classified checks that a failure reads as one of the failure policy's
// classes (a device with no free port is errFull: the next is tried).
func classified(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, errFull) {
		return
	}
	pe := Classify(err)
	require.NotNil(t, pe)
	assert.Contains(t, []port.ErrorClass{port.Transient, port.Exhausted, port.Invalid, port.Hard}, pe.Class, "%v", err)
	assert.NotEmpty(t, pe.Code)
}

// FuzzReadBack: whatever a device answers to the read-back after a
// commit, the check returns within bounds and never panics, and passes a
// reserve only on a configuration that holds everything the edit set, a
// release only on one that no longer holds the port's v-ANI.
func FuzzReadBack(f *testing.F) {
	svc := Service{Item: "ROI-1", OLT: "OLT-1", Slot: 1, Port: 2, ONUID: 1, Uplink: defaultUplink}
	reserve, err := Render(port.Reserve, svc)
	require.NoError(f, err)
	release, err := Render(port.Release, svc)
	require.NoError(f, err)
	olt, err := tnc.NewDevice("OLT-1", []tnc.Card{{Slot: 1, Ports: 2}}, tnc.WallClock{})
	require.NoError(f, err)
	f.Add(false, append(append([]byte("<data>"), olt.Running()...), "</data>"...))
	require.NoError(f, olt.Load(reserve.Config))
	f.Add(false, append(append([]byte("<data>"), olt.Running()...), "</data>"...))
	f.Add(true, append(append([]byte("<data>"), olt.Running()...), "</data>"...))
	f.Add(true, []byte(`<data/>`))
	f.Add(false, []byte(`<data><interfaces xmlns="`+ifNS+`"><interface><name>vani-LC1-P2</name></interface></interfaces></data>`))
	a := allocating(f, map[string]Endpoint{"OLT-1": never(f)}, Area{OLTs: []string{"OLT-1"}})
	f.Fuzz(func(t *testing.T, released bool, body []byte) {
		defer watchdog.Arm(2 * time.Second)()
		e := reserve
		if released {
			e = release
		}
		err := a.verify(context.Background(), parrotSession(t, body), e)
		if err != nil {
			classified(t, err)
			return
		}
		have := dataTree(body)
		if released {
			assert.NotEmpty(t, netconf.Missing(have, vaniOf(svc)), "the v-ANI is gone")
			return
		}
		want, err := configOf(reserve.Config)
		require.NoError(t, err)
		assert.Empty(t, netconf.Missing(have, want), "the device holds what was set")
	})
}

// dataTree is the content of a reply's <data>, read apart from the
// adapter; nil if it has none.
func dataTree(body []byte) []*netconf.Node {
	r, err := netconf.ParseReply([]byte(`<rpc-reply xmlns="` + netconf.Namespace + `">` + string(body) + `</rpc-reply>`))
	if err != nil || r.Err() != nil || r.Data == nil {
		return nil
	}
	tree, _ := netconf.ParseTree(r.Data.Inner)
	return tree
}

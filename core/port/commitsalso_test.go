package port_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// scripted answers every call at once with err (nil: success, the
// resource available), and keeps the calls.
type scripted struct {
	mu    sync.Mutex
	calls []port.Request
	err   *port.Error
}

func (s *scripted) Call(now time.Duration, req *port.Request, reply port.Replier) {
	s.mu.Lock()
	s.calls = append(s.calls, *req)
	s.mu.Unlock()
	res := &port.Result{Key: req.Key, System: req.System, Op: req.Op, Item: req.Item, Handle: req.Handle, Final: true, Err: s.err}
	if s.err == nil && req.Resource != nil {
		r := *req.Resource
		r.State = "available"
		res.Resource = &r
	}
	reply.Reply(now, res)
}

type finals []*port.Result

func (f *finals) Reply(_ time.Duration, res *port.Result) {
	if res.Final {
		*f = append(*f, res)
	}
}

// A VLAN committed on the BNG is committed in the vlan system too, under
// the same key, and the call answers once both are done; other calls, and
// a commit the BNG refuses, reach the BNG only; the vlan system's failure
// is the call's.
func TestCommitsAlso(t *testing.T) {
	vlan := &tmf.Resource{ID: "ENT-MEL-VLAN-2108", ResourceType: "VLAN", State: "reserved"}
	qos := &tmf.Resource{ID: "BW-500-500-GOLD-ENT-ROI-004", ResourceType: "QoSPolicy", State: "reserved"}
	commit := func(item string, r *tmf.Resource) *port.Request {
		return &port.Request{Key: item + "/commit/1", System: port.BNG, Op: port.Commit, Item: item, Handle: 3, Resource: r}
	}

	bng, nb := &scripted{}, &scripted{}
	a := port.CommitsAlso(bng, "VLAN", port.VLAN, nb)
	var got finals
	a.Call(0, commit("ROI-002", vlan), &got)
	a.Call(0, commit("ROI-004", qos), &got)
	require.Len(t, got, 2)
	assert.Nil(t, got[0].Err)
	assert.Equal(t, port.BNG, got[0].System)
	assert.Equal(t, "available", got[0].Resource.State)
	require.Len(t, bng.calls, 2)
	require.Len(t, nb.calls, 1, "the QoS policy is the BNG's alone")
	assert.Equal(t, port.VLAN, nb.calls[0].System)
	assert.Equal(t, "ROI-002/commit/1", nb.calls[0].Key)
	assert.Equal(t, "reserved", nb.calls[0].Resource.State, "the resource as ROM sent it")
	assert.Equal(t, "reserved", vlan.State, "the caller's request is not changed")

	bng, nb = &scripted{err: &port.Error{Class: port.Hard, Code: "Session-Context-Not-Found"}}, &scripted{}
	got = nil
	port.CommitsAlso(bng, "VLAN", port.VLAN, nb).Call(0, commit("ROI-002", vlan), &got)
	require.Len(t, got, 1)
	assert.Equal(t, port.Hard, got[0].Err.Class)
	assert.Empty(t, nb.calls, "what the BNG refused is not committed elsewhere")

	bng, nb = &scripted{}, &scripted{err: &port.Error{Class: port.Hard, Code: "inUse", Message: "another item's"}}
	got = nil
	port.CommitsAlso(bng, "VLAN", port.VLAN, nb).Call(0, commit("ROI-002", vlan), &got)
	require.Len(t, got, 1)
	require.NotNil(t, got[0].Err)
	assert.Equal(t, "inUse", got[0].Err.Code)
	assert.Equal(t, "vlan: another item's", got[0].Err.Message)
	assert.Equal(t, port.BNG, got[0].System)
	assert.Nil(t, got[0].Resource)
}

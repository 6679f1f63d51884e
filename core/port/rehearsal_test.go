package port

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/tmf"
)

// renderer is a real adapter's dry run: one message per call, naming the
// call, and an error for releases.
type renderer struct{}

func (renderer) DryRun(req *Request) ([]Sent, *Error) {
	if req.Op == Release {
		return nil, &Error{Class: Invalid, Code: "badRequest", Message: "no release here"}
	}
	return []Sent{{Protocol: "netconf", To: "olt:830", Op: "edit-config", Body: "<config>" + req.Item + "</config>"}}, nil
}

// twinLike answers every call at once, in process, and takes answers back.
type twinLike struct {
	calls    []string
	recycled []any
}

func (t *twinLike) Call(now time.Duration, req *Request, reply Replier) {
	t.calls = append(t.calls, req.Key)
	reply.Reply(now+time.Minute, &Result{Key: req.Key, System: req.System, Op: req.Op, Item: req.Item, Final: true})
}
func (t *twinLike) InProcess() bool { return true }
func (t *twinLike) Recycle(msg any) { t.recycled = append(t.recycled, msg) }

type replies []*Result

func (r *replies) Reply(_ time.Duration, res *Result) { *r = append(*r, res) }

// A rehearsal records, per call and in call order, what the real adapter
// would send (or why it could not), and the twin answers every call so
// the run goes on (architecture §5: plan → apply → verify, the dry run).
func TestRehearsalRecordsAndTheTwinAnswers(t *testing.T) {
	tw := &twinLike{}
	r := NewRehearsal(renderer{}, tw)
	var got replies
	for _, req := range []*Request{
		{Key: "ROI-001/reserve/1", System: Access, Op: Reserve, Item: "ROI-001"},
		{Key: "ROI-001/commit/1", System: Access, Op: Commit, Item: "ROI-001"},
		{Key: "ROI-001/release/1", System: Access, Op: Release, Item: "ROI-001"},
	} {
		r.Call(0, req, &got)
	}
	sent := r.Sent()
	require.Len(t, sent, 3)
	assert.Equal(t, Rehearsed{Item: "ROI-001", Key: "ROI-001/reserve/1", System: Access, Op: Reserve,
		Sent: []Sent{{Protocol: "netconf", To: "olt:830", Op: "edit-config", Body: "<config>ROI-001</config>"}}, Rendered: true}, sent[0])
	assert.Equal(t, Commit, sent[1].Op)
	assert.Nil(t, sent[2].Sent)
	require.NotNil(t, sent[2].Err, "a call the real adapter could not render is recorded with why")
	assert.Equal(t, "badRequest", sent[2].Err.Code)
	assert.Equal(t, []string{"ROI-001/reserve/1", "ROI-001/commit/1", "ROI-001/release/1"}, tw.calls, "the twin answers every call")
	assert.Len(t, got, 3)
	assert.True(t, r.InProcess(), "in process as the twin is")
	r.Recycle(got[0])
	assert.Equal(t, []any{got[0]}, tw.recycled)

	sent[0].Sent[0].Body = "changed"
	assert.Equal(t, "<config>ROI-001</config>", r.Sent()[0].Sent[0].Body, "Sent hands out a copy")
}

// outsider answers nothing and is not in process.
type outsider struct{}

func (outsider) Call(time.Duration, *Request, Replier) {}

func TestRehearsalOutsideWhenTheAnswerIs(t *testing.T) {
	assert.False(t, NewRehearsal(renderer{}, outsider{}).InProcess())
}

// picker allocates: its reserve answers with the resource it picked, or
// with exhaustion for item "none".
type picker struct{}

func (picker) Call(now time.Duration, req *Request, reply Replier) {
	res := &Result{Key: req.Key, System: req.System, Op: req.Op, Item: req.Item, Final: true}
	if req.Item == "none" {
		res.Err = &Error{Class: Exhausted, Code: "capacityExhausted", Message: "no port"}
	} else {
		res.Resource = &tmfResource
	}
	reply.Reply(now, res)
}

// portOf renders the port of the resource its request carries.
type portOf struct{}

func (portOf) DryRun(req *Request) ([]Sent, *Error) {
	if req.Resource == nil {
		return nil, &Error{Class: Invalid, Code: "badRequest", Message: "which port?"}
	}
	return []Sent{{Protocol: "netconf", Op: "edit-config", Body: req.Resource.ID}}, nil
}

// A reserve that names no resource is an allocation: the answerer picks,
// and the rehearsal renders the reserve for the resource picked (or
// records why nothing was picked); the answer goes on unchanged.
func TestRehearsalRendersTheAllocatorsPick(t *testing.T) {
	r := NewRehearsal(portOf{}, picker{})
	var got replies
	r.Call(0, &Request{Key: "ROI-001/reserve/1", Op: Reserve, Item: "ROI-001"}, &got)
	r.Call(0, &Request{Key: "none/reserve/1", Op: Reserve, Item: "none"}, &got)
	require.Len(t, got, 2)
	assert.Same(t, &tmfResource, got[0].Resource)
	sent := r.Sent()
	require.Len(t, sent, 2)
	require.Nil(t, sent[0].Err)
	assert.Equal(t, "OLT-SOUTH-03-LC2-P8", sent[0].Sent[0].Body)
	require.NotNil(t, sent[1].Err)
	assert.Equal(t, "capacityExhausted", sent[1].Err.Code)
	assert.Empty(t, sent[1].Sent)
}

// noAllocator is portOf for an adapter that says it picks no port itself
// (Allocator): a real run's reserve naming none fails there.
type noAllocator struct{ portOf }

func (noAllocator) Allocates(*Request) bool { return false }

// A reserve that names no resource, for a real adapter that would not
// allocate it, is rendered as that adapter answers the request as the
// engine makes it (its error: not sent), not for the twin's pick; the
// twin still answers, so the run goes on.
func TestRehearsalOfAReserveTheAdapterWouldNotAllocate(t *testing.T) {
	r := NewRehearsal(noAllocator{}, picker{})
	var got replies
	r.Call(0, &Request{Key: "ROI-001/reserve/1", Op: Reserve, Item: "ROI-001"}, &got)
	require.Len(t, got, 1)
	assert.Same(t, &tmfResource, got[0].Resource, "the twin answered")
	sent := r.Sent()
	require.Len(t, sent, 1)
	require.NotNil(t, sent[0].Err)
	assert.Equal(t, "which port?", sent[0].Err.Message)
	assert.True(t, sent[0].Rendered)
	assert.Empty(t, sent[0].Sent)
}

var tmfResource = tmf.Resource{ID: "OLT-SOUTH-03-LC2-P8", ResourceType: "OLTPort"}

// A call told more of its request as it goes (Update: a CE router's
// Day-1 waits for its site's VLAN and subnet) is rendered again from the
// request as it stands: what the dry run shows is what the real adapter
// sends once it has it. An update of a key not rehearsed changes nothing.
func TestRehearsalRendersUpdates(t *testing.T) {
	tw := &twinLike{}
	r := NewRehearsal(DryRunners{ZTP: updatable{}, Access: renderer{}}, tw)
	var got replies
	r.Call(0, &Request{Key: "ROI-006/commit/1", System: ZTP, Op: Commit, Item: "ROI-006"}, &got)
	r.Call(0, &Request{Key: "ROI-001/commit/1", System: Access, Op: Commit, Item: "ROI-001"}, &got)
	r.Update(&Request{Key: "ROI-006/commit/1", System: ZTP, Op: Commit, Item: "ROI-006 with its VLAN"})
	r.Update(&Request{Key: "ROI-404/commit/1", System: ZTP, Op: Commit, Item: "nobody"})
	// The real access adapter takes no update: its commit went as it was
	// first given, and the dry run shows that (it showed the update).
	r.Update(&Request{Key: "ROI-001/commit/1", System: Access, Op: Commit, Item: "ROI-001 with its VLAN"})
	sent := r.Sent()
	require.Len(t, sent, 2)
	require.Len(t, sent[0].Sent, 1)
	assert.Equal(t, "<config>ROI-006 with its VLAN</config>", sent[0].Sent[0].Body)
	assert.Equal(t, "<config>ROI-001</config>", sent[1].Sent[0].Body)
	assert.True(t, takesUpdates(OrderedWithin(updatable{}, time.Second), &Request{}), "an ordered entry's adapter decides")
}

// updatable is a real adapter that takes updates into its calls (as the
// ZTP adapter does).
type updatable struct{ renderer }

func (updatable) Call(time.Duration, *Request, Replier) {}
func (updatable) Update(*Request)                       {}

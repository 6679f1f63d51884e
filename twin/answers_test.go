package twin

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// The strings the twin makes without fmt and netip are theirs, byte for
// byte.
func TestAnswersWriteAsFmtAndNetip(t *testing.T) {
	var a answers
	for _, n := range []int{0, 1, 9, 10, 99, 100, 12345, 99999, 100000, 999999, 1000000, 12345678} {
		assert.Equal(t, fmt.Sprintf("FQ-%s-%06d", "SOUTH-03", n), a.token("SOUTH-03", n))
		assert.Equal(t, fmt.Sprint(n), a.itoa(n))
	}
	for _, p := range []string{"0.0.0.0/0", "10.88.12.0/29", "172.16.255.248/30", "255.255.255.255/32", "192.0.2.0/24"} {
		pfx := netip.MustParsePrefix(p)
		assert.Equal(t, pfx.String(), a.prefix(addr4(pfx.Addr()), pfx.Bits()))
	}
}

// A site's six resources are reserved with almost no allocation of their
// own: results, resources, ids and characteristics come from slabs.
func TestReserveAllocatesFromSlabs(t *testing.T) {
	const cards, ports = 64, 16
	tw := newTwin(t, generatedNetwork(cards, ports, cards*ports))
	var reqs []*port.Request
	for _, typ := range siteResources {
		reqs = append(reqs, reserveReq("", generatedSite, typ))
	}
	var d discard
	failed := 0
	site := func() {
		for _, req := range reqs {
			tw.Call(0, req, &d)
			if d.last.Err != nil {
				failed++
			}
		}
	}
	site()
	// Six results, five ids, values and characteristics each: 22
	// allocations a site when each was made alone.
	assert.Less(t, testing.AllocsPerRun(200, site), 1.0, "fewer than one a site, on average")
	assert.Zero(t, failed)
}

// An answer from a slab is the caller's: later answers never write it.
func TestAnswersAreNeverRewritten(t *testing.T) {
	tw := newTwin(t, generatedNetwork(2, 16, 3))
	var first []*port.Result
	var want []port.Result
	var wantRes []tmf.Resource
	for i := range 70 { // past one slab array
		typ := siteResources[i%len(siteResources)]
		if typ == "CPE" && i > 6 {
			typ = "QoSPolicy" // 3 serials only
		}
		var rec pointers
		tw.Call(0, reserveReq(fmt.Sprintf("ROI-%03d/reserve/1", i), generatedSite, typ), &rec)
		require.Len(t, rec, 1)
		require.Nil(t, rec[0].Err)
		first = append(first, rec[0])
		want = append(want, *rec[0])
		wantRes = append(wantRes, *rec[0].Resource)
	}
	for i, res := range first {
		assert.Equal(t, want[i], *res, "answer %d", i)
		assert.Equal(t, wantRes[i], *res.Resource, "resource of answer %d", i)
	}
}

// pointers is a port.Replier that keeps the answers themselves.
type pointers []*port.Result

func (p *pointers) Reply(_ time.Duration, res *port.Result) { *p = append(*p, res) }

// A twin that forgets its answers fills an answer handed back (Recycle)
// again for a later call: the same result and resource, with the later
// call's content only.
func TestForgettingTwinFillsRecycledAnswersAgain(t *testing.T) {
	tw := newTwin(t, generatedNetwork(2, 16, 3))
	tw.Forget()
	var rec pointers
	tw.Call(0, reserveReq("ROI-001/reserve/1", generatedSite, "VLAN"), &rec)
	require.Len(t, rec, 1)
	first, firstRes := rec[0], rec[0].Resource
	require.NotNil(t, firstRes)
	firstID := firstRes.ID
	tw.Recycle(first)
	tw.Call(0, reserveReq("ROI-002/reserve/1", generatedSite, "QoSPolicy"), &rec)
	require.Len(t, rec, 2)
	again := rec[1]
	assert.Same(t, first, again, "the result handed back")
	assert.Same(t, firstRes, again.Resource, "and its resource")
	assert.Equal(t, "ROI-002/reserve/1", again.Key)
	assert.Equal(t, "QoSPolicy", again.Resource.ResourceType)
	assert.NotEqual(t, firstID, again.Resource.ID)
	assert.Empty(t, again.Resource.Characteristics.Get("vlanId"), "nothing left of the VLAN")
}

// A progress report carries its final answer's resource: handed back, it
// gives back its result only, and the resource stays the final answer's.
func TestRecycledProgressKeepsTheFinalAnswersResource(t *testing.T) {
	tw := newTwin(t, generatedNetwork(2, 16, 3))
	tw.Forget()
	var rec pointers
	tw.Call(0, reserveReq("ROI-001/reserve/1", generatedSite, "CPE"), &rec)
	require.Len(t, rec, 1)
	tw.Call(0, commitReq("ROI-001/commit/1", generatedSite, rec[0].Resource), &rec)
	require.Len(t, rec, 5, "staged, inTransit, delivered, then the final answer")
	final := rec[4]
	require.True(t, final.Final)
	want := *final.Resource
	for _, p := range rec[1:4] {
		require.False(t, p.Final)
		tw.Recycle(p)
	}
	var more pointers
	tw.Call(0, reserveReq("ROI-002/reserve/1", generatedSite, "VLAN"), &more)
	require.Len(t, more, 1)
	assert.NotSame(t, final.Resource, more[0].Resource)
	assert.Equal(t, want, *final.Resource, "the final answer's resource is untouched")
}

// A twin that remembers answers keeps an answer handed back: it may give
// it to a repeated call.
func TestRememberingTwinKeepsRecycledAnswers(t *testing.T) {
	tw := newTwin(t, generatedNetwork(2, 16, 3))
	var rec pointers
	tw.Call(0, reserveReq("ROI-001/reserve/1", generatedSite, "VLAN"), &rec)
	require.Len(t, rec, 1)
	first, want := rec[0], *rec[0]
	tw.Recycle(first)
	tw.Call(0, reserveReq("ROI-002/reserve/1", generatedSite, "QoSPolicy"), &rec)
	tw.Call(0, reserveReq("ROI-001/reserve/1", generatedSite, "VLAN"), &rec)
	require.Len(t, rec, 3)
	assert.NotSame(t, first, rec[1])
	assert.Same(t, first, rec[2], "the repeated call's answer")
	assert.Equal(t, want, *first)
}

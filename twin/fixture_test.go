package twin

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// auEastFile is the network of the worked example
// (/work/shared/seed/enterprise-fibre-connect-gold.txt).
const auEastFile = "../scenarios/networks/au-east.yaml"

// The five sites of the worked example, with the addresses au-east.yaml
// knows them by.
var (
	melbHQ = site{code: "MELB", address: "Level 12, 120 Collins Street, Melbourne VIC 3000"}
	syd1   = site{code: "SYD1", address: "Level 20, 1 Martin Place, Sydney NSW 2000"}
	syd2   = site{code: "SYD2", address: "Level 8, 100 Barangaroo Avenue, Sydney NSW 2000"}
	bne1   = site{code: "BNE1", address: "Level 15, 480 Queen Street, Brisbane QLD 4000"}
	bne2   = site{code: "BNE2", address: "Level 3, 71 Eagle Street, Brisbane QLD 4000"}
)

// The order's parties and parameters (worked example, "Order Summary").
const (
	customer = "CUST-ENT-1102"
	account  = "ACC-ENT-3384"
)

// goldCharacteristics are the SOI characteristics of the pilot site
// (worked example, "COM Decomposition": speed=500M-sym, slaTier=Gold,
// model=ISR-4431).
var goldCharacteristics = tmf.Characteristics{
	{Name: "speed", Value: "500M-sym"},
	{Name: "slaTier", Value: "Gold"},
	{Name: "model", Value: "ISR-4431"},
}

// site is an order site: its code and street address.
type site struct{ code, address string }

func (s site) place() tmf.Place {
	return tmf.Place{ID: s.code, Name: s.code, Address: s.address}
}

// resourceSystems names the systems that reserve and commit each resource
// type, as scenarios/catalog/enterprise.yaml wires them.
var resourceSystems = map[string]struct{ reserve, commit port.System }{
	"OLTPort":    {port.Access, port.Access},
	"P2PHandoff": {port.Access, port.Access},
	"VLAN":       {port.VLAN, port.BNG},
	"IPv4Subnet": {port.IPAM, port.IPAM},
	"QoSPolicy":  {port.BNG, port.BNG},
	"TWAMPProbe": {port.NMS, port.NMS},
	"CPE":        {port.Logistics, port.ZTP},
}

// answer is one reply of the twin.
type answer struct {
	at  time.Duration
	res port.Result
}

// recorder is a port.Replier that keeps every answer in order.
type recorder struct{ answers []answer }

func (r *recorder) Reply(at time.Duration, res *port.Result) {
	r.answers = append(r.answers, answer{at: at, res: *res})
}

// finals are the answers that end a call.
func (r *recorder) finals() []answer {
	var out []answer
	for _, a := range r.answers {
		if a.res.Final {
			out = append(out, a)
		}
	}
	return out
}

// final is the one final answer, which must also be the last one.
func (r *recorder) final(t testing.TB) answer {
	t.Helper()
	finals := r.finals()
	require.Len(t, finals, 1, "exactly one final answer: %+v", r.answers)
	require.True(t, r.answers[len(r.answers)-1].res.Final, "the final answer comes last: %+v", r.answers)
	return finals[0]
}

// auEast is the text of the worked example's network file.
func auEast(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(auEastFile)
	require.NoError(t, err)
	return data
}

// edit replaces old, which must occur exactly once, by new.
func edit(t testing.TB, data []byte, old, new string) []byte {
	t.Helper()
	require.Equal(t, 1, strings.Count(string(data), old), "%q must occur once in the network file", old)
	return []byte(strings.Replace(string(data), old, new, 1))
}

// newTwin parses and builds a twin from network text.
func newTwin(t testing.TB, data []byte) *Twin {
	t.Helper()
	n, err := ParseNetwork(data)
	require.NoError(t, err)
	tw, err := New(n)
	require.NoError(t, err)
	return tw
}

// call makes one request at now and returns its final answer.
func call(t testing.TB, tw *Twin, now time.Duration, req *port.Request) answer {
	t.Helper()
	var rec recorder
	tw.Call(now, req, &rec)
	return rec.final(t)
}

// keyItem is the order item of an idempotency key: "ROI-001" of
// "ROI-001/reserve/1", as the ROM builds keys.
func keyItem(key string) string {
	item, _, _ := strings.Cut(key, "/")
	return item
}

// reserveReq is the ROM's reserve request of a resource type at a site.
func reserveReq(key string, s site, resourceType string) *port.Request {
	return &port.Request{
		Key: key, System: resourceSystems[resourceType].reserve, Op: port.Reserve, Item: keyItem(key),
		Customer: customer, Site: s.code, Place: s.place(),
		ResourceType: resourceType, Characteristics: goldCharacteristics,
	}
}

// commitReq commits a reserved resource.
func commitReq(key string, s site, r *tmf.Resource) *port.Request {
	return &port.Request{
		Key: key, System: resourceSystems[r.ResourceType].commit, Op: port.Commit, Item: keyItem(key),
		Customer: customer, Site: s.code, Place: s.place(),
		ResourceType: r.ResourceType, Resource: r, Characteristics: goldCharacteristics,
	}
}

// releaseReq gives a reserved resource back.
func releaseReq(key string, s site, r *tmf.Resource) *port.Request {
	return &port.Request{
		Key: key, System: resourceSystems[r.ResourceType].reserve, Op: port.Release, Item: keyItem(key),
		Customer: customer, Site: s.code, Place: s.place(), ResourceType: r.ResourceType, Resource: r,
	}
}

// qualifyReq asks address qualification (op Qualify or Revalidate).
func qualifyReq(key string, op port.Op, s site) *port.Request {
	return &port.Request{Key: key, System: port.Qualification, Op: op, Customer: customer,
		Site: s.code, Place: s.place()}
}

// reserve reserves a resource type at a site at time 0 and requires success.
func reserve(t testing.TB, tw *Twin, key string, s site, resourceType string) *tmf.Resource {
	t.Helper()
	a := call(t, tw, 0, reserveReq(key, s, resourceType))
	require.Nil(t, a.res.Err, "reserve %s at %s", resourceType, s.code)
	require.NotNil(t, a.res.Resource)
	return a.res.Resource
}

// releaseOK releases a resource at time 0 and requires success.
func releaseOK(t testing.TB, tw *Twin, key string, s site, r *tmf.Resource) {
	t.Helper()
	a := call(t, tw, 0, releaseReq(key, s, r))
	require.Nil(t, a.res.Err, "release %s", r.ID)
}

// freeCapacity is the capacity qualification reports for a site.
func freeCapacity(t testing.TB, tw *Twin, key string, s site) int {
	t.Helper()
	a := call(t, tw, 0, qualifyReq(key, port.Qualify, s))
	require.Nil(t, a.res.Err)
	require.NotNil(t, a.res.Qualification)
	return a.res.Qualification.FreeCapacity
}

// hours is n hours of virtual time.
func hours(n int) time.Duration { return time.Duration(n) * time.Hour }

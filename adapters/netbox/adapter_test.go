package netbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/netbox"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/twin"
	tnb "github.com/ordertwin/ordertwin/twin/netbox"
)

const (
	token        = "0123456789abcdef0123456789abcdef01234567"
	pilotAddress = "Level 12, 120 Collins Street, Melbourne VIC 3000"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// network is the worked example's east-coast network, edited by the
// replacements given (old, new, ...).
func network(t testing.TB, edits ...string) *twin.Network {
	t.Helper()
	data, err := os.ReadFile("../../scenarios/networks/au-east.yaml")
	require.NoError(t, err)
	for i := 0; i+1 < len(edits); i += 2 {
		require.Contains(t, string(data), edits[i])
		data = bytes.Replace(data, []byte(edits[i]), []byte(edits[i+1]), 1)
	}
	n, err := twin.ParseNetwork(data)
	require.NoError(t, err)
	return n
}

// netboxTwin is a twin served by its NetBox front-end on loopback.
type netboxTwin struct {
	net *twin.Network
	srv *tnb.Server
	url string
}

func serve(t testing.TB, n *twin.Network) *netboxTwin {
	t.Helper()
	tw, err := twin.New(n)
	require.NoError(t, err)
	srv, err := tnb.New(tw, token, quiet)
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return &netboxTwin{net: n, srv: srv, url: "http://" + l.Addr().String()}
}

// adapter is an adapter for nb whose token file holds tok, logging to log.
func (nb *netboxTwin) adapter(t testing.TB, tok string, log *slog.Logger, edit ...func(*Config)) *Adapter {
	t.Helper()
	file := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(file, []byte(tok+"\n"), 0o600))
	cfg := Config{URL: nb.url + "/", TokenFile: file, VLANGroups: tnb.VLANGroups(nb.net), Timeout: 10 * time.Second, Log: log}
	for _, e := range edit {
		e(&cfg)
	}
	a, err := New(cfg)
	require.NoError(t, err)
	return a
}

// get reads a list of the front-end as a client of NetBox would.
func (nb *netboxTwin) get(t *testing.T, uri string, out any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, nb.url+uri, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Token "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
}

var pilot = tmf.Place{ID: "MELB", Name: "Melbourne HQ", Address: pilotAddress}

// reserve is ROM's reserve of a resource for item at the pilot site.
func reserve(item, resourceType string) *port.Request {
	req := &port.Request{Key: item + "/reserve/1", Op: port.Reserve, Item: item, Handle: 7, Customer: "CUST-ENT-1102",
		Site: "MELB", Place: pilot, ResourceType: resourceType}
	if resourceType == "VLAN" {
		req.System = port.VLAN
		req.Characteristics = tmf.Characteristics{{Name: "vlanType", Value: "c-tag"}, {Name: "serviceType", Value: "enterprise"}}
	} else {
		req.System = port.IPAM
		req.Characteristics = tmf.Characteristics{{Name: "ipVersion", Value: "dualStack"}, {Name: "pool", Value: "SOUTH-ENT"}}
	}
	return req
}

// then is ROM's next call on a reserved resource.
func then(req *port.Request, op port.Op, system port.System, r *tmf.Resource) *port.Request {
	next := *req
	next.Op, next.System, next.Resource = op, system, r
	next.Key = req.Item + "/" + string(op) + "/1"
	return &next
}

// collector takes a twin's or an adapter's answers.
type collector chan *port.Result

func (c collector) Reply(_ time.Duration, res *port.Result) {
	if res.Final {
		c <- res
	}
}

// inProcess is the in-process twin's answer to req.
func inProcess(t *testing.T, tw *twin.Twin, req *port.Request) *port.Result {
	t.Helper()
	c := make(collector, 1)
	tw.Call(0, req, c)
	select {
	case res := <-c:
		return res
	default:
		require.FailNow(t, "the in-process twin did not answer at once")
		return nil
	}
}

// Reference: the worked example, step 4 (ROI-002 "VLAN 2108 from the
// enterprise VLAN pool", ROI-003 "10.88.12.0/29 allocated"): over NetBox's
// API the pilot's VLAN and subnet are what the in-process twin allocates,
// in the same result, through commit and release.
func TestPilotAllocatesWhatTheInProcessTwinDoes(t *testing.T) {
	n := network(t)
	nb := serve(t, n)
	a := nb.adapter(t, token, quiet)
	tw, err := twin.New(n)
	require.NoError(t, err)
	ctx := context.Background()

	for _, c := range []struct {
		item, resourceType string
		commitBy           port.System
		value              string
	}{
		{"ROI-002", "VLAN", port.VLAN, "VLAN 2108"},
		{"ROI-003", "IPv4Subnet", port.IPAM, "10.88.12.0/29"},
	} {
		req := reserve(c.item, c.resourceType)
		want, got := inProcess(t, tw, req), a.Do(ctx, req)
		require.Nil(t, got.Err)
		assert.Equal(t, want, got)
		require.NotNil(t, got.Resource)
		assert.Equal(t, c.value, got.Resource.Value)

		commit := then(req, port.Commit, c.commitBy, got.Resource)
		want, got = inProcess(t, tw, commit), a.Do(ctx, commit)
		require.Nil(t, got.Err)
		if c.resourceType == "IPv4Subnet" && want.Resource != nil {
			// The twin's commit also configures the IP profile (gateway,
			// DHCP relay, RADIUS binding), which NetBox does not hold.
			r := *want.Resource
			require.Greater(t, len(r.Characteristics), len(got.Resource.Characteristics))
			assert.Equal(t, "gateway", r.Characteristics[len(got.Resource.Characteristics)].Name)
			r.Characteristics = r.Characteristics[:len(got.Resource.Characteristics)]
			want.Resource = &r
		}
		assert.Equal(t, want, got)
		assert.Equal(t, "available", got.Resource.State)
	}

	var prefixes netbox.Page[netbox.Prefix]
	nb.get(t, "/api/ipam/prefixes/?prefix=10.88.12.0%2F29", &prefixes)
	require.Len(t, prefixes.Results, 1)
	assert.Equal(t, netbox.Choice{Value: "active", Label: "Active"}, prefixes.Results[0].Status)
	assert.Equal(t, "ROI-003 ROI-003/reserve/1", prefixes.Results[0].Description)
	var vlans netbox.Page[netbox.VLAN]
	nb.get(t, "/api/ipam/vlans/?vid=2108", &vlans)
	require.Len(t, vlans.Results, 1)
	assert.Equal(t, "ROI-002", vlans.Results[0].Name)
	assert.Equal(t, "ENT-MEL", vlans.Results[0].Group.Name)

	// Released, the VLAN and the subnet go back to the twin's pools: the
	// next item gets them again, as in process.
	for _, r := range []*port.Request{reserve("ROI-002", "VLAN"), reserve("ROI-003", "IPv4Subnet")} {
		res := a.Do(ctx, r) // the same key: the first allocation
		require.Nil(t, res.Err)
		rel := then(r, port.Release, r.System, res.Resource)
		want, got := inProcess(t, tw, rel), a.Do(ctx, rel)
		require.Nil(t, got.Err)
		assert.Equal(t, want, got)
		again := a.Do(ctx, rel)
		require.Nil(t, again.Err, "a second release finds nothing and changes nothing")
	}
	next := a.Do(ctx, reserve("ROI-012", "VLAN"))
	require.Nil(t, next.Err)
	assert.Equal(t, "VLAN 2108", next.Resource.Value)
	next = a.Do(ctx, reserve("ROI-013", "IPv4Subnet"))
	require.Nil(t, next.Err)
	assert.Equal(t, "10.88.12.0/29", next.Resource.Value)
}

// posts counts the allocations the front-end received.
func posts(nb *netboxTwin) int {
	n := 0
	for _, s := range nb.srv.Received() {
		if strings.HasPrefix(s.Op, "POST ") {
			n++
		}
	}
	return n
}

// Reference: port.Request, "an adapter that sees a key again must treat it
// as the same call and give the same answer" (a call re-sent after a crash).
func TestARepeatedKeyGetsTheFirstAllocation(t *testing.T) {
	nb := serve(t, network(t))
	a := nb.adapter(t, token, quiet)
	ctx := context.Background()
	for _, rt := range []string{"VLAN", "IPv4Subnet"} {
		req := reserve("ROI-002", rt)
		first := a.Do(ctx, req)
		require.Nil(t, first.Err)
		before := posts(nb)
		again := a.Do(ctx, req)
		require.Nil(t, again.Err)
		assert.Equal(t, first, again)
		assert.Equal(t, before, posts(nb), "the repeated reserve allocates nothing")

		retry := reserve("ROI-002", rt)
		retry.Key = "ROI-002/reserve/2" // a new attempt is a new call
		second := a.Do(ctx, retry)
		require.Nil(t, second.Err)
		assert.NotEqual(t, first.Resource.Value, second.Resource.Value)
	}
}

// NetBox's available-vlans is atomic: concurrent reserves get distinct
// VLANs, the first free ones.
func TestConcurrentReservesGetDistinctVLANs(t *testing.T) {
	nb := serve(t, network(t))
	a := nb.adapter(t, token, quiet)
	const calls = 20
	answers := make(collector, calls)
	for i := range calls {
		a.Call(0, reserve(fmt.Sprintf("ROI-%03d", 100+i), "VLAN"), answers)
	}
	seen := map[string]bool{}
	for range calls {
		res := <-answers
		require.Nil(t, res.Err)
		seen[res.Resource.Value] = true
	}
	require.Len(t, seen, calls)
	for vid := 2108; vid < 2108+calls; vid++ {
		assert.True(t, seen[fmt.Sprintf("VLAN %d", vid)], "VLAN %d", vid)
	}
}

func TestAWrongTokenIsRefusedAndNeverShown(t *testing.T) {
	nb := serve(t, network(t))
	var logs bytes.Buffer
	const wrong = "ffffffffffffffffffffffffffffffffffffffff"
	a := nb.adapter(t, wrong, slog.New(slog.NewTextHandler(&logs, nil)))
	res := a.Do(context.Background(), reserve("ROI-002", "VLAN"))
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Hard, res.Err.Class)
	assert.Equal(t, "refused", res.Err.Code)
	assert.Contains(t, res.Err.Message, `403 Forbidden: {"detail":"Invalid token"}`)
	assert.NotContains(t, res.Err.Message, wrong)
	assert.Contains(t, logs.String(), "refused")
	assert.NotContains(t, logs.String(), wrong)
	sent, perr := a.DryRun(reserve("ROI-002", "VLAN"))
	require.NotNil(t, perr)
	for _, s := range sent {
		assert.NotContains(t, s.To+s.Op+s.Body, wrong)
	}
}

func TestTheTokenComesFromAFileOrTheEnvironment(t *testing.T) {
	t.Setenv("NETBOX_TOKEN", token)
	t.Setenv("NETBOX_EMPTY", "")
	a, err := New(Config{URL: "http://127.0.0.1:1", TokenEnv: "NETBOX_TOKEN"})
	require.NoError(t, err)
	assert.Equal(t, token, a.token)
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{URL: "http://127.0.0.1:1"}, "no token"},
		{Config{URL: "http://127.0.0.1:1", TokenEnv: "NETBOX_EMPTY"}, "NETBOX_EMPTY holds no token"},
		{Config{URL: "http://127.0.0.1:1", TokenEnv: "NETBOX_TOKEN", TokenFile: "x"}, "not both"},
		{Config{URL: "http://127.0.0.1:1", TokenFile: filepath.Join(t.TempDir(), "none")}, "reading the token"},
		{Config{URL: "127.0.0.1:1", TokenEnv: "NETBOX_TOKEN"}, "not an http:// or https:// URL"},
		{Config{URL: "http://127.0.0.1:1", TokenEnv: "NETBOX_TOKEN", PrefixLength: 33}, "prefix length 33"},
	} {
		_, err := New(c.cfg)
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.want)
		assert.NotContains(t, err.Error(), token)
	}
}

// An exhausted pool answers NetBox's 409: the failure policy sees the
// class the in-process twin gives.
func TestAnExhaustedPoolIsClassifiedAsTheTwinDoes(t *testing.T) {
	n := network(t, `occupied: "2100-2107"`, `occupied: "2100-2198"`, "prefix: 10.88.12.0/22", "prefix: 10.88.12.0/29")
	nb := serve(t, n)
	a := nb.adapter(t, token, quiet)
	tw, err := twin.New(n)
	require.NoError(t, err)
	ctx := context.Background()
	for _, c := range []struct{ rt, last, detail string }{
		{"VLAN", "VLAN 2199", "The requested number of VLANs is not available"},
		{"IPv4Subnet", "10.88.12.0/29", "Insufficient space is available to accommodate the requested prefix size(s)"},
	} {
		first := a.Do(ctx, reserve("ROI-002", c.rt))
		require.Nil(t, first.Err)
		assert.Equal(t, c.last, first.Resource.Value)
		inProcess(t, tw, reserve("ROI-002", c.rt))

		req := reserve("ROI-102", c.rt)
		want, got := inProcess(t, tw, req), a.Do(ctx, req)
		require.NotNil(t, want.Err)
		require.NotNil(t, got.Err)
		assert.Equal(t, want.Err.Class, got.Err.Class)
		assert.Equal(t, want.Err.Code, got.Err.Code)
		assert.ErrorIs(t, got.Err, port.ErrCapacityExhausted)
		assert.Contains(t, got.Err.Message, `409 Conflict: {"detail":"`+c.detail+`"}`)
	}
}

// Reference: port.DryRunner, "what it renders is what the call sends, byte
// for byte": a dry run reads NetBox (GET only) and writes nothing; the
// call then sends exactly what it said.
func TestDryRunIsWhatTheServerReceives(t *testing.T) {
	nb := serve(t, network(t))
	a := nb.adapter(t, token, quiet)
	ctx := context.Background()
	vlan, ip := reserve("ROI-002", "VLAN"), reserve("ROI-003", "IPv4Subnet")
	steps := []func(prev *tmf.Resource) *port.Request{
		func(*tmf.Resource) *port.Request { return vlan },
		func(r *tmf.Resource) *port.Request { return then(vlan, port.Commit, port.VLAN, r) },
		func(r *tmf.Resource) *port.Request { return then(vlan, port.Release, port.VLAN, r) },
		func(*tmf.Resource) *port.Request { return ip },
		func(r *tmf.Resource) *port.Request { return then(ip, port.Commit, port.IPAM, r) },
		func(r *tmf.Resource) *port.Request { return then(ip, port.Release, port.IPAM, r) },
	}
	var held *tmf.Resource
	for _, step := range steps {
		req := step(held)
		before := len(nb.srv.Received())
		sent, perr := a.DryRun(req)
		require.Nil(t, perr)
		require.NotEmpty(t, sent)
		read := nb.srv.Received()[before:]
		write := sent[len(sent)-1]
		assert.Equal(t, sent[:len(sent)-1], read, "the dry run sends its look-ups only")
		assert.NotContains(t, write.Op, "GET ")

		mid := len(nb.srv.Received())
		res := a.Do(ctx, req)
		require.Nil(t, res.Err)
		assert.Equal(t, sent, nb.srv.Received()[mid:], "%s %s", req.Op, req.ResourceType)
		if req.Op == port.Reserve {
			held = res.Resource
		}
	}
	// The pilot's reserve, as the dry run shows it.
	sent, perr := a.DryRun(reserve("ROI-002", "VLAN"))
	require.Nil(t, perr)
	require.Len(t, sent, 3)
	assert.Equal(t, "GET /api/ipam/vlan-groups/?name=ENT-MEL", sent[0].Op)
	assert.Equal(t, "GET /api/ipam/vlans/?description=ROI-002+ROI-002%2Freserve%2F1&group_id=1", sent[1].Op)
	assert.Equal(t, "POST /api/ipam/vlan-groups/1/available-vlans/", sent[2].Op)
	assert.JSONEq(t, `{"name":"ROI-002","status":"reserved","description":"ROI-002 ROI-002/reserve/1"}`, sent[2].Body)
	assert.Equal(t, nb.url, sent[2].To)
	sent, perr = a.DryRun(reserve("ROI-003", "IPv4Subnet"))
	require.Nil(t, perr)
	require.Len(t, sent, 3)
	assert.Equal(t, "GET /api/ipam/prefixes/?description=SOUTH-ENT", sent[0].Op)
	assert.Equal(t, "GET /api/ipam/prefixes/?description=ROI-003+ROI-003%2Freserve%2F1&within=10.88.12.0%2F22", sent[1].Op)
	assert.Equal(t, "POST /api/ipam/prefixes/1/available-prefixes/", sent[2].Op)
	assert.JSONEq(t, `{"prefix_length":29,"status":"reserved","description":"ROI-003 ROI-003/reserve/1"}`, sent[2].Body)
}

// A dry run posts no reserve: the commit and release that follow find no
// object of the item's in NetBox, and rendered none (notFound, hard: a dry
// run against a healthy NetBox never came out clean). Each is rendered as
// it would go to the object the reserve makes, {id} for its id; a real
// call still fails as before.
func TestDryRunOfWhatItsReserveWouldMake(t *testing.T) {
	nb := serve(t, network(t))
	a := nb.adapter(t, token, quiet)
	tw, err := twin.New(network(t))
	require.NoError(t, err)
	for _, c := range []struct {
		item, rt string
		sys      port.System
		path     string
	}{{"ROI-002", "VLAN", port.VLAN, "/api/ipam/vlans/{id}/"}, {"ROI-003", "IPv4Subnet", port.IPAM, "/api/ipam/prefixes/{id}/"}} {
		req := reserve(c.item, c.rt)
		res := inProcess(t, tw, req) // what the twin answers the rehearsed reserve
		require.Nil(t, res.Err)
		for _, op := range []struct {
			op   port.Op
			verb string
		}{{port.Commit, "PATCH"}, {port.Release, "DELETE"}} {
			before := len(nb.srv.Received())
			sent, perr := a.DryRun(then(req, op.op, c.sys, res.Resource))
			require.Nil(t, perr, "%s %s", op.op, c.rt)
			require.NotEmpty(t, sent)
			assert.Equal(t, op.verb+" "+c.path, sent[len(sent)-1].Op)
			assert.Len(t, nb.srv.Received()[before:], len(sent)-1, "its look-ups only are sent")
		}
		got := a.Do(context.Background(), then(req, port.Commit, c.sys, res.Resource))
		require.NotNil(t, got.Err, "a real commit of what NetBox does not hold")
		assert.Equal(t, "notFound", got.Err.Code)
	}
}

// A NetBox in trouble: its answers map to the failure policy's classes,
// and a call that outlives its deadline fails as transient.
func TestFailuresAreClassified(t *testing.T) {
	nb := serve(t, network(t))
	a := nb.adapter(t, token, quiet, func(c *Config) { c.Timeout = time.Second })
	ctx := context.Background()

	down := &tnb.Fault{Op: "POST /api/ipam/vlan-groups/", Status: http.StatusServiceUnavailable, Detail: "maintenance", Times: 1}
	nb.srv.Inject(down)
	res := a.Do(ctx, reserve("ROI-002", "VLAN"))
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Transient, res.Err.Class)
	assert.Equal(t, "unavailable", res.Err.Code)
	assert.Contains(t, res.Err.Message, `{"detail":"maintenance"}`)
	assert.Equal(t, 1, nb.srv.Hits(down))
	res = a.Do(ctx, reserve("ROI-002", "VLAN"))
	require.Nil(t, res.Err, "tried again, it goes through")

	hold := make(chan struct{})
	defer close(hold)
	slow := &tnb.Fault{Op: "POST /api/ipam/prefixes/", Hold: hold}
	nb.srv.Inject(slow)
	res = a.Do(ctx, reserve("ROI-003", "IPv4Subnet"))
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Transient, res.Err.Class)
	assert.Equal(t, "timeout", res.Err.Code)

	// Released by another item: the VLAN is not this one's to give back.
	other := then(reserve("ROI-009", "VLAN"), port.Release, port.VLAN,
		&tmf.Resource{ID: "ENT-MEL-VLAN-2108", ResourceType: "VLAN", Characteristics: tmf.Characteristics{{Name: "pool", Value: "ENT-MEL"}, {Name: "vlanId", Value: "2108"}}})
	res = a.Do(ctx, other)
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Hard, res.Err.Class)
	assert.Equal(t, "inUse", res.Err.Code)

	// A request the adapter cannot serve fails before anything is sent.
	before := len(nb.srv.Received())
	bad := reserve("ROI-004", "QoSPolicy")
	res = a.Do(ctx, bad)
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Invalid, res.Err.Class)
	noPool := reserve("ROI-003", "IPv4Subnet")
	noPool.Characteristics = nil
	res = a.Do(ctx, noPool)
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Invalid, res.Err.Class)
	assert.Len(t, nb.srv.Received(), before)
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		method, path string
		status       int
		class        port.ErrorClass
		code         string
	}{
		{"POST", "/api/ipam/vlan-groups/1/available-vlans/", 409, port.Exhausted, "capacityExhausted"},
		{"POST", "/api/ipam/prefixes/1/available-prefixes/", 409, port.Exhausted, "capacityExhausted"},
		{"PATCH", "/api/ipam/vlans/1/", 409, port.Transient, "conflict"},
		{"GET", "/api/ipam/vlans/", 503, port.Transient, "unavailable"},
		{"GET", "/api/ipam/vlans/", 429, port.Transient, "unavailable"},
		{"GET", "/api/ipam/vlans/", 401, port.Hard, "refused"},
		{"GET", "/api/ipam/vlans/", 403, port.Hard, "refused"},
		{"DELETE", "/api/ipam/vlans/1/", 404, port.Hard, "notFound"},
		{"POST", "/api/ipam/prefixes/1/available-prefixes/", 400, port.Invalid, "badRequest"},
		{"PATCH", "/api/ipam/vlans/1/", 422, port.Invalid, "badRequest"},
		{"GET", "/api/ipam/vlans/", 500, port.Hard, "serverError"},
	} {
		e := Classify(fmt.Errorf("wrapped: %w", &httpError{Method: c.method, Path: c.path, Status: c.status, Body: []byte(`{"detail":"x"}`)}))
		assert.Equal(t, c.class, e.Class, "%s %s %d", c.method, c.path, c.status)
		assert.Equal(t, c.code, e.Code, "%s %s %d", c.method, c.path, c.status)
	}
	e := Classify(fmt.Errorf("dial: %w", context.DeadlineExceeded))
	assert.Equal(t, port.Transient, e.Class)
	assert.Equal(t, "timeout", e.Code)
	e = Classify(fmt.Errorf("dial: connection refused"))
	assert.Equal(t, port.Transient, e.Class)
	assert.Equal(t, "unreachable", e.Code)
}

// fakeBNG answers a commit as the BNG does, or refuses it.
type fakeBNG struct{ refuse bool }

func (f fakeBNG) Call(now time.Duration, req *port.Request, reply port.Replier) {
	res := &port.Result{Key: req.Key, System: req.System, Op: req.Op, Item: req.Item, Handle: req.Handle, Final: true}
	if f.refuse {
		res.Err = &port.Error{Class: port.Hard, Code: "Session-Context-Not-Found", Message: "CoA-NAK"}
	} else {
		r := *req.Resource
		r.State = "available"
		res.Resource = &r
	}
	go reply.Reply(now, res)
}

// The VLAN is reserved in NetBox and configured by the BNG's commit
// (docs/adapters.md): committed by the bng system, it ends active in
// NetBox too, as the NetBox table says a commit does; a commit the BNG
// refuses leaves it reserved.
func TestAVLANCommittedOnTheBNGIsActiveInNetBox(t *testing.T) {
	nb := serve(t, network(t))
	a := nb.adapter(t, token, quiet)
	ctx := context.Background()
	status := func(vid string) string {
		var vlans netbox.Page[netbox.VLAN]
		nb.get(t, "/api/ipam/vlans/?vid="+vid, &vlans)
		require.Len(t, vlans.Results, 1)
		return vlans.Results[0].Status.Value
	}
	for _, c := range []struct {
		item   string
		refuse bool
		want   string
	}{{"ROI-002", false, "active"}, {"ROI-012", true, "reserved"}} {
		req := reserve(c.item, "VLAN")
		got := a.Do(ctx, req)
		require.Nil(t, got.Err)
		vid := got.Resource.Characteristics.Get("vlanId")
		assert.Equal(t, "reserved", status(vid))
		bng := port.CommitsAlso(fakeBNG{refuse: c.refuse}, "VLAN", port.VLAN, a)
		done := make(collector, 1)
		bng.Call(0, then(req, port.Commit, port.BNG, got.Resource), done)
		res := <-done
		assert.Equal(t, port.BNG, res.System)
		assert.Equal(t, c.refuse, res.Err != nil)
		assert.Equal(t, c.want, status(vid), c.item)
	}
}

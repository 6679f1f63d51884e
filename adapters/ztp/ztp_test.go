package ztp

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/pnp"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/twin"
	tztp "github.com/ordertwin/ordertwin/twin/ztp"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files")

const (
	pilotSerial = "FDO2340567"
	pilotPlace  = "Level 12, 120 Collins Street, Melbourne VIC 3000"
)

// network is the worked example's network, whose CPE stock the twin's
// routers are.
func network(t testing.TB) *twin.Network {
	t.Helper()
	n, err := twin.LoadNetwork("../../scenarios/networks/au-east.yaml")
	require.NoError(t, err)
	return n
}

// collect is a Replier that hands every answer to a channel.
type collect chan *port.Result

func (c collect) Reply(_ time.Duration, res *port.Result) { c <- res }

// reserved is the pilot's CE router as the in-process twin's logistics
// reserves it, with the in-process twin itself.
func reserved(t testing.TB, n *twin.Network) (*tmf.Resource, *twin.Twin) {
	t.Helper()
	tw, err := twin.New(n)
	require.NoError(t, err)
	got := make(collect, 8)
	tw.Call(0, &port.Request{Key: "ROI-006/reserve/1", System: port.Logistics, Op: port.Reserve, Item: "ROI-006",
		Customer: "CUST-ENT-1102", Site: "MELB", Place: tmf.Place{Address: pilotPlace}, ResourceType: "CPE",
		Characteristics: tmf.Characteristics{{Name: "model", Value: "ISR-4431"}, {Name: "config", Value: "enterprise-fibre"}}}, got)
	res := <-got
	require.Nil(t, res.Err)
	require.Equal(t, pilotSerial, res.Resource.ID)
	return res.Resource, tw
}

// pilot is the pilot site's ZTP commit: the reserved router, and the
// service the order gave it (the site's VLAN, /29, QoS policy, tier).
func pilot(r *tmf.Resource) *port.Request {
	return &port.Request{Key: "ROI-006/commit/1", System: port.ZTP, Op: port.Commit, Item: "ROI-006", Handle: 6,
		Customer: "CUST-ENT-1102", Site: "MELB", Place: tmf.Place{Address: pilotPlace}, Resource: r,
		Characteristics: tmf.Characteristics{{Name: "model", Value: "ISR-4431"}, {Name: "config", Value: "enterprise-fibre"},
			{Name: CharVLAN, Value: "2108"}, {Name: CharSubnet, Value: "10.88.12.0/29"},
			{Name: CharProfile, Value: "BW-500-500-GOLD-ENT"}, {Name: CharTier, Value: "Gold"}}}
}

// stepClock is the routers' clock in tests: a backoff ends when the test
// says so.
type stepClock struct{ waits chan chan time.Time }

func (c *stepClock) After(time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.waits <- ch
	return ch
}

// rig is a PnP server on loopback and the twin's routers pointed at it
// by option 43.
type rig struct {
	z     *ZTP
	fleet *tztp.Fleet
	ended chan tztp.Ended
	clock *stepClock
	log   *bytes.Buffer
}

func start(t testing.TB, cfg Config) *rig {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ap := netip.MustParseAddrPort(ln.Addr().String())
	cfg.Advertise = pnp.Discovery{Host: ap.Addr().String(), Port: int(ap.Port())}
	var log bytes.Buffer
	cfg.Log = slog.New(slog.NewTextHandler(&syncWriter{w: &log}, nil))
	z, err := New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- z.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-served)
	})
	clock := &stepClock{waits: make(chan chan time.Time, 16)}
	ended := make(chan tztp.Ended, 16)
	fleet, err := tztp.NewFleet(network(t).CPE, tztp.Config{Option43: z.Option43(), User: cfg.User, Password: string(cfg.Password),
		Clock: clock, Ended: ended})
	require.NoError(t, err)
	return &rig{z: z, fleet: fleet, ended: ended, clock: clock, log: &log}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (r *rig) serve(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.fleet.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
}

func within(t *testing.T, ch <-chan *port.Result) *port.Result {
	t.Helper()
	select {
	case res := <-ch:
		return res
	case <-time.After(10 * time.Second):
		t.Fatal("no answer within 10s")
		return nil
	}
}

func TestDay1Golden(t *testing.T) {
	r, _ := reserved(t, network(t))
	d, perr := Day1Of(pilot(r))
	require.Nil(t, perr)
	got, err := d.Render()
	require.NoError(t, err)
	golden := "testdata/pilot-day1.cfg"
	if *rewrite {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), got, "go test ./adapters/ztp -run Golden -rewrite, and review the diff")
}

func TestDay1ValuesComeFromTheRequest(t *testing.T) {
	r, _ := reserved(t, network(t))
	req := pilot(r)
	req.Site, req.Customer = "SYD1", "CUST-ENT-2001"
	req.Characteristics = tmf.Characteristics{{Name: CharVLAN, Value: "2200"}, {Name: CharSubnet, Value: "10.90.1.8/29"},
		{Name: CharProfile, Value: "BW-1000-200-SILVER-ENT"}, {Name: CharTier, Value: "Silver"}}
	d, perr := Day1Of(req)
	require.Nil(t, perr)
	text, err := d.Render()
	require.NoError(t, err)
	for _, line := range []string{"hostname CE-ENT-2001-SYD1", "interface GigabitEthernet0/0/0.2200", " encapsulation dot1Q 2200",
		" ip address 10.90.1.10 255.255.255.248", "ip route 0.0.0.0 0.0.0.0 10.90.1.9", "  police cir 1000000000",
		"  shape average 200000000", "   conform-action set-dscp-transmit af21", "class-map match-any ENT-SILVER",
		"remote-ip 10.90.1.9 remote-port 862"} {
		assert.Contains(t, text, line)
	}
	assert.NotContains(t, text, "2108")
	assert.NotContains(t, text, "10.88.12")
}

func TestMissingValuesAreInvalidAndSendNothing(t *testing.T) {
	rg := start(t, Config{})
	req := &port.Request{Key: "ROI-006/commit/1", System: port.ZTP, Op: port.Commit, Item: "ROI-006",
		Resource:        &tmf.Resource{ID: "X", ResourceType: "CPE", Characteristics: tmf.Characteristics{{Name: CharModel, Value: "ISR-9999"}}},
		Characteristics: tmf.Characteristics{{Name: CharSubnet, Value: "10.88.12.0/28x"}, {Name: CharProfile, Value: "500M"}}}
	_, perr := rg.z.DryRun(req)
	require.NotNil(t, perr)
	assert.Equal(t, port.Invalid, perr.Class)
	for _, what := range []string{"the customer", "the site", "ISR-9999", CharVLAN, CharSubnet, CharProfile, CharTier} {
		assert.Contains(t, perr.Message, what)
	}
	res := rg.z.Do(context.Background(), req)
	require.NotNil(t, res.Err)
	assert.Equal(t, perr, res.Err)
	assert.True(t, res.Final)
	rg.z.mu.Lock()
	defer rg.z.mu.Unlock()
	assert.Empty(t, rg.z.waiting, "a bad request waits for no router")

	noRouter := pilot(nil)
	_, perr = Day1Of(noRouter)
	require.NotNil(t, perr)
	assert.Contains(t, perr.Message, "the reserved CE router")
	assert.Contains(t, perr.Message, CharSerial)
}

// The pilot's router calls home when installed, takes its Day-1
// configuration and reports; the call answers as the in-process twin's
// ZTP does (milestones, the router made available), and the router holds
// the configuration the dry run showed, byte for byte.
func TestRouterCallsHomeAndIsConfigured(t *testing.T) {
	rg := start(t, Config{User: "pnp", Password: "s3cret-staged", Timeout: time.Minute})
	r, tw := reserved(t, network(t))
	req := pilot(r)
	want, perr := rg.z.DryRun(req)
	require.Nil(t, perr)

	got := make(collect, 8)
	rg.z.Call(0, req, got)
	rg.serve(t)
	require.NoError(t, rg.fleet.Install(pilotSerial))
	delivered := within(t, got)
	assert.False(t, delivered.Final)
	assert.Equal(t, "delivered", delivered.Milestone)
	res := within(t, got)
	require.True(t, res.Final)
	require.Nil(t, res.Err)
	assert.Equal(t, "installed", res.Milestone)
	assert.Equal(t, "ROI-006/commit/1", res.Key)
	assert.Equal(t, 6, res.Handle)
	assert.Equal(t, tztp.Ended{Serial: pilotSerial}, <-rg.ended, "the router's agent is done once configured")

	// The same answer as the in-process twin's.
	inProc := make(collect, 8)
	tw.Call(0, req, inProc)
	var final *port.Result
	for final == nil {
		if p := <-inProc; p.Final {
			final = p
		}
	}
	require.Nil(t, final.Err)
	assert.Equal(t, final.Milestone, res.Milestone)
	assert.Equal(t, *final.Resource, *res.Resource)

	// The router holds the configuration, and heard exactly the dry run.
	dev := rg.fleet.Device(pilotSerial)
	st := dev.Show()
	assert.Equal(t, "CE-ENT-1102-MELB", st.Hostname)
	sub := st.Interfaces["GigabitEthernet0/0/0.2108"]
	assert.Equal(t, 2108, sub.VLAN)
	assert.Equal(t, netip.MustParsePrefix("10.88.12.2/29"), sub.Address)
	assert.Equal(t, "BW-500-500-GOLD-ENT-IN", sub.PolicyIn)
	assert.Equal(t, "BW-500-500-GOLD-ENT-OUT", sub.PolicyOut)
	assert.True(t, sub.Up)
	assert.True(t, st.Interfaces["GigabitEthernet0/0/0"].Up)
	assert.Equal(t, []string{"0.0.0.0 0.0.0.0 10.88.12.1"}, st.Routes)
	assert.True(t, st.TWAMPResponder)
	assert.True(t, st.Saved)
	assert.Equal(t, 1, st.Applies)
	assert.Equal(t, 1, st.CalledHome)
	heard := dev.Heard()
	require.Len(t, heard, len(want))
	for i, h := range heard {
		assert.Equal(t, want[i].Op, h.Op)
		assert.Equal(t, want[i].Body, h.Body, "message %d", i)
	}
	assert.Contains(t, want[4].Body, "<![CDATA[! Day-1 configuration of CE-ENT-1102-MELB")

	// No credential in what was sent, logged or shown.
	for _, s := range want {
		assert.NotContains(t, s.Body+s.To, "s3cret-staged")
	}
	assert.NotContains(t, rg.log.String(), "s3cret-staged")
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", rg.z.cfg, rg.z.cfg, rg.z.cfg), "s3cret-staged")
	assert.Contains(t, rg.log.String(), "ZTP configured the CE router")
}

// A repeated key is the same call: it gets the same answer, and the
// router is configured once.
func TestRepeatedKeyConfiguresOnce(t *testing.T) {
	rg := start(t, Config{Timeout: time.Minute})
	r, _ := reserved(t, network(t))
	first, again := make(collect, 8), make(collect, 8)
	rg.z.Call(0, pilot(r), first)
	rg.z.Call(0, pilot(r), again) // a crash re-sends the call before its answer
	rg.serve(t)
	require.NoError(t, rg.fleet.Install(pilotSerial))
	var finals []*port.Result
	for _, ch := range []collect{first, again} {
		for {
			res := within(t, ch)
			if res.Final {
				finals = append(finals, res)
				break
			}
		}
	}
	require.Nil(t, finals[0].Err)
	assert.Equal(t, finals[0], finals[1])
	later := rg.z.Do(context.Background(), pilot(r))
	assert.Equal(t, finals[0], later)
	other := pilot(r)
	other.Handle = 60 // the call re-sent by a restarted engine
	renamed := rg.z.Do(context.Background(), other)
	assert.Equal(t, 60, renamed.Handle)
	renamed.Handle = finals[0].Handle
	assert.Equal(t, finals[0], renamed)
	assert.Equal(t, 1, rg.fleet.Device(pilotSerial).Show().Applies)
}

// A router that never calls home is lost at the call's deadline.
func TestLostRouterAtDeadline(t *testing.T) {
	rg := start(t, Config{Timeout: 300 * time.Millisecond})
	r, _ := reserved(t, network(t))
	dev := rg.fleet.Device(pilotSerial)
	dev.Inject(&tztp.Fault{Kind: tztp.LostCPE})
	rg.serve(t)
	got := make(collect, 8)
	rg.z.Call(0, pilot(r), got)
	require.NoError(t, rg.fleet.Install(pilotSerial))
	res := within(t, got)
	require.True(t, res.Final)
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Lost, res.Err.Class)
	assert.Equal(t, "neverCalledHome", res.Err.Code)
	assert.Equal(t, "lost", res.Milestone)
	assert.Equal(t, 1, dev.Hits(tztp.LostCPE))
	assert.Equal(t, 0, dev.Show().CalledHome)
	assert.Equal(t, 0, dev.Show().Applies)
}

// A router that refuses its configuration fails the call at once, hard,
// naming the line; it is not configured.
func TestRefusedConfigurationIsHard(t *testing.T) {
	rg := start(t, Config{Timeout: time.Minute})
	r, _ := reserved(t, network(t))
	dev := rg.fleet.Device(pilotSerial)
	dev.Inject(&tztp.Fault{Kind: tztp.BadConfig, Times: 1})
	got := make(collect, 8)
	rg.z.Call(0, pilot(r), got)
	ctx, cancel := context.WithCancel(context.Background())
	agent := make(chan error, 1)
	go func() { agent <- rg.fleet.CallHome(ctx, pilotSerial) }()
	assert.Equal(t, "delivered", within(t, got).Milestone)
	res := within(t, got)
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Hard, res.Err.Class)
	assert.Equal(t, "configRejected", res.Err.Code)
	assert.Contains(t, res.Err.Message, `"interface GigabitEthernet0/0/0"`)
	assert.Contains(t, res.Err.Message, "Invalid input")
	// The router asks for work again and is told to back off: it is
	// not configured twice by the failed call.
	wait := <-rg.clock.waits
	cancel()
	assert.ErrorIs(t, <-agent, context.Canceled)
	_ = wait
	st := dev.Show()
	assert.Equal(t, 1, st.Applies)
	assert.Equal(t, "Router", st.Hostname)
	assert.False(t, st.Saved)
	assert.Equal(t, 1, dev.Hits(tztp.BadConfig))
	assert.Equal(t, "backoff", dev.Heard()[len(dev.Heard())-1].Op)
}

// Past the concurrency limit a router is told to back off, and is
// configured when it calls again.
func TestBusyServerBacksOff(t *testing.T) {
	rg := start(t, Config{Timeout: time.Minute, Concurrency: 1})
	n := network(t)
	r, tw := reserved(t, n)
	second := make(collect, 8)
	tw.Call(0, &port.Request{Key: "ROI-012/reserve/1", System: port.Logistics, Op: port.Reserve, Item: "ROI-012",
		Customer: "CUST-ENT-1102", Site: "MELB", Place: tmf.Place{Address: pilotPlace}, ResourceType: "CPE",
		Characteristics: tmf.Characteristics{{Name: "model", Value: "ISR-4431"}}}, second)
	r2 := (<-second).Resource
	require.NotEqual(t, pilotSerial, r2.ID)

	a, b := make(collect, 8), make(collect, 8)
	rg.z.Call(0, pilot(r), a)
	reqB := pilot(r2)
	reqB.Key, reqB.Item, reqB.Site = "ROI-012/commit/1", "ROI-012", "MELB2"
	rg.z.Call(0, reqB, b)

	// A calls home first and is asked what it is: it holds the one turn.
	udiA := pnp.UDIOf("ISR-4431", pilotSerial).String()
	ask := &pnp.Message{UDI: udiA, Info: &pnp.Info{Xmlns: pnp.WorkInfo, Correlator: "c-1", DeviceID: &pnp.DeviceID{UDI: udiA}}}
	rec := httptest.NewRecorder()
	rg.z.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, pnp.WorkRequestPath, bytes.NewReader(ask.Marshal())))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), pnp.DeviceInfo)

	// B calls home meanwhile and is told to back off.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	agentB := make(chan error, 1)
	go func() { agentB <- rg.fleet.CallHome(ctx, r2.ID) }()
	assert.Equal(t, "delivered", within(t, b).Milestone)
	backoff := <-rg.clock.waits
	devB := rg.fleet.Device(r2.ID)
	assert.Equal(t, "backoff", devB.Heard()[0].Op)
	assert.Equal(t, 0, devB.Show().Applies)

	// A's agent carries on where it was and is configured; its turn is free.
	require.NoError(t, rg.fleet.CallHome(ctx, pilotSerial))
	assert.Equal(t, "delivered", within(t, a).Milestone)
	require.Nil(t, within(t, a).Err)

	// B calls again and is configured.
	backoff <- time.Time{}
	resB := within(t, b)
	require.Nil(t, resB.Err)
	require.NoError(t, <-agentB)
	assert.Equal(t, "CE-ENT-1102-MELB2", devB.Show().Hostname)
	assert.Equal(t, 1, devB.Show().Applies)
	assert.Empty(t, rg.clock.waits)
}

// A router that called home but did not finish by the deadline is a
// transient failure: it is there, and may be configured on a retry.
func TestRouterThatStallsIsTransientAtDeadline(t *testing.T) {
	rg := start(t, Config{Timeout: 300 * time.Millisecond})
	r, _ := reserved(t, network(t))
	got := make(collect, 8)
	rg.z.Call(0, pilot(r), got)
	udi := pnp.UDIOf("ISR-4431", pilotSerial).String()
	ask := &pnp.Message{UDI: udi, Info: &pnp.Info{Xmlns: pnp.WorkInfo, Correlator: "c-1", DeviceID: &pnp.DeviceID{UDI: udi}}}
	rec := httptest.NewRecorder()
	rg.z.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, pnp.WorkRequestPath, bytes.NewReader(ask.Marshal())))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "delivered", within(t, got).Milestone)
	res := within(t, got)
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Transient, res.Err.Class)
	assert.Equal(t, "timeout", res.Err.Code)
	assert.Equal(t, res, rg.z.Do(context.Background(), pilot(r)), "the repeated key gets the same answer")

	// The router's late report finds no call: bye, and nothing waits.
	rg.z.mu.Lock()
	assert.Empty(t, rg.z.waiting)
	assert.Zero(t, rg.z.active, "the stalled router's turn is free")
	rg.z.mu.Unlock()
}

// A router that presents other credentials than the server's is refused.
func TestWrongCredentialsAreRefused(t *testing.T) {
	rg := start(t, Config{User: "pnp", Password: "right", Timeout: time.Minute})
	wrong, err := tztp.NewFleet(network(t).CPE, tztp.Config{Option43: rg.z.Option43(), User: "pnp", Password: "wrong", Clock: rg.clock})
	require.NoError(t, err)
	err = wrong.CallHome(context.Background(), pilotSerial)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "401")
	assert.NotContains(t, err.Error(), "right")
	assert.Equal(t, 0, wrong.Device(pilotSerial).Show().Applies)
}

// A release ends a call still waiting for its router; the release itself
// sends nothing.
func TestReleaseEndsTheWait(t *testing.T) {
	rg := start(t, Config{Timeout: time.Minute})
	r, _ := reserved(t, network(t))
	got := make(collect, 8)
	rg.z.Call(0, pilot(r), got)
	rel := &port.Request{Key: "ROI-006/release/1", System: port.ZTP, Op: port.Release, Item: "ROI-006", Resource: r}
	sent, perr := rg.z.DryRun(rel)
	require.Nil(t, perr)
	assert.Empty(t, sent)
	res := rg.z.Do(context.Background(), rel)
	require.Nil(t, res.Err)
	assert.True(t, res.Final)
	waited := within(t, got)
	require.NotNil(t, waited.Err)
	assert.Equal(t, port.Hard, waited.Err.Class)
	assert.Equal(t, "released", waited.Err.Code)

	wrongOp := *rel
	wrongOp.Op = port.Reserve
	assert.Equal(t, "unsupported", rg.z.Do(context.Background(), &wrongOp).Err.Code)
	wrongSys := *rel
	wrongSys.System = port.Access
	assert.Equal(t, "wrongSystem", rg.z.Do(context.Background(), &wrongSys).Err.Code)
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	_, err := New(Config{})
	assert.ErrorContains(t, err, "host and port")
	_, err = New(Config{Advertise: pnp.Discovery{Host: "10.0.0.1", Port: 80}, User: "pnp"})
	assert.ErrorContains(t, err, "both a user and a password")
	z, err := New(Config{Advertise: pnp.Discovery{Host: "10.0.0.1", Port: 9080}})
	require.NoError(t, err)
	assert.Equal(t, "5A1N;B2;K4;I10.0.0.1;J9080", z.Option43())
}

func TestServerRefusesWhatIsNotPnP(t *testing.T) {
	rg := start(t, Config{})
	for _, c := range []struct {
		method, path, body string
		code               int
	}{
		{http.MethodGet, pnp.HelloPath, "", http.StatusOK},
		{http.MethodGet, "/other", "", http.StatusNotFound},
		{http.MethodGet, pnp.WorkRequestPath, "", http.StatusMethodNotAllowed},
		{http.MethodPost, pnp.WorkRequestPath, "<pnp", http.StatusBadRequest},
		{http.MethodPost, pnp.WorkResponsePath, `<pnp xmlns="urn:cisco:pnp" udi="PID:X"/>`, http.StatusBadRequest},
	} {
		rec := httptest.NewRecorder()
		rg.z.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, bytes.NewReader([]byte(c.body))))
		assert.Equal(t, c.code, rec.Code, "%s %s %q", c.method, c.path, c.body)
	}
	// A router nobody waits for is told to back off.
	udi := pnp.UDIOf("ISR-4431", "FDO0000000").String()
	ask := &pnp.Message{UDI: udi, Info: &pnp.Info{Xmlns: pnp.WorkInfo, Correlator: "c-1", DeviceID: &pnp.DeviceID{UDI: udi}}}
	rec := httptest.NewRecorder()
	rg.z.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, pnp.WorkRequestPath, bytes.NewReader(ask.Marshal())))
	m, err := pnp.Parse(rec.Body.Bytes())
	require.NoError(t, err)
	require.NotNil(t, m.Request)
	assert.Equal(t, pnp.Backoff, m.Request.Service())
	assert.Equal(t, 1, m.Request.Backoff.Minutes)
}

// Over HTTPS (option 43 K5), a router that trusts the server's
// certificate is configured as over HTTP.
func TestRouterCallsHomeOverHTTPS(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pnp"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	roots.AddCert(cert)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ap := netip.MustParseAddrPort(ln.Addr().String())
	z, err := New(Config{Advertise: pnp.Discovery{Host: "127.0.0.1", Port: int(ap.Port()), HTTPS: true}, Timeout: time.Minute,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		TLS: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}})
	require.NoError(t, err)
	assert.Contains(t, z.Option43(), ";K5;")
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- z.Serve(ctx, ln) }()
	defer func() {
		cancel()
		require.NoError(t, <-served)
	}()
	fleet, err := tztp.NewFleet(network(t).CPE, tztp.Config{Option43: z.Option43(),
		Client: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}})
	require.NoError(t, err)
	r, _ := reserved(t, network(t))
	got := make(collect, 8)
	z.Call(0, pilot(r), got)
	require.NoError(t, fleet.CallHome(ctx, pilotSerial))
	assert.Equal(t, "delivered", within(t, got).Milestone)
	res := within(t, got)
	require.Nil(t, res.Err)
	assert.Equal(t, "installed", res.Milestone)

	plain, err := tztp.NewFleet(network(t).CPE, tztp.Config{Option43: "5A1N;B2;K4;I127.0.0.1;J" + strconv.Itoa(int(ap.Port()))})
	require.NoError(t, err)
	assert.Error(t, plain.CallHome(ctx, pilotSerial), "plain HTTP to the HTTPS server")
}

// restartable is a PnP server on loopback whose ZTP the test replaces, as
// a node restarted on the same port would be: cfg makes another, current
// serves, the first one made. wrap, when not nil, sees each request first
// (and may end it with a panic, as a process killed).
func restartable(t *testing.T, wrap func(r *http.Request)) (cfg Config, current *atomic.Pointer[ZTP]) {
	t.Helper()
	current = new(atomic.Pointer[ZTP])
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if wrap != nil {
			wrap(r)
		}
		current.Load().ServeHTTP(w, r)
	}))
	ap := netip.MustParseAddrPort(srv.Listener.Addr().String())
	cfg = Config{Advertise: pnp.Discovery{Host: ap.Addr().String(), Port: int(ap.Port())}, Timeout: time.Minute,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	z, err := New(cfg)
	require.NoError(t, err)
	current.Store(z)
	srv.Start()
	t.Cleanup(srv.Close)
	return cfg, current
}

// fleetFor is the twin's routers pointed at z, their backoffs on a clock
// the test drives.
func fleetFor(t *testing.T, z *ZTP) *tztp.Fleet {
	t.Helper()
	fleet, err := tztp.NewFleet(network(t).CPE, tztp.Config{Option43: z.Option43(), Clock: &stepClock{waits: make(chan chan time.Time, 16)}})
	require.NoError(t, err)
	return fleet
}

// A call re-sent after a crash (a new server, the same key) finds the
// router configured by it, and does not configure it again; a new
// attempt (another key) does.
func TestResentCallAfterCrashDoesNotConfigureTwice(t *testing.T) {
	cfg, current := restartable(t, nil)
	before := current.Load()
	fleet := fleetFor(t, before)
	r, _ := reserved(t, network(t))
	ctx := context.Background()

	got := make(collect, 8)
	before.Call(0, pilot(r), got)
	require.NoError(t, fleet.CallHome(ctx, pilotSerial))
	within(t, got) // delivered
	require.Nil(t, within(t, got).Err)
	dev := fleet.Device(pilotSerial)
	require.Equal(t, 1, dev.Show().Applies)

	// The node crashes before the answer is journalled, and re-sends the
	// call with the same key to a new server; the router, configured
	// with its PnP profile, calls home again.
	after, err := New(cfg)
	require.NoError(t, err)
	current.Store(after)
	heardBefore := len(dev.Heard())
	again := make(collect, 8)
	after.Call(0, pilot(r), again)
	require.NoError(t, fleet.CallHome(ctx, pilotSerial))
	within(t, again) // delivered
	res := within(t, again)
	require.Nil(t, res.Err)
	assert.Equal(t, "installed", res.Milestone)
	assert.Equal(t, 1, dev.Show().Applies, "configured once")
	var ops []string
	for _, h := range dev.Heard()[heardBefore:] {
		ops = append(ops, h.Op)
	}
	assert.Equal(t, []string{"device-info", "bye", "cli-exec", "bye", "backoff"}, ops)

	// A new attempt is another call: the router is configured again.
	retry := pilot(r)
	retry.Key = "ROI-006/commit/2"
	third := make(collect, 8)
	after.Call(0, retry, third)
	require.NoError(t, fleet.CallHome(ctx, pilotSerial))
	within(t, third)
	require.Nil(t, within(t, third).Err)
	assert.Equal(t, 2, dev.Show().Applies)
	assert.Contains(t, dev.Show().Running, "event manager environment ztp_call ROI-006/commit/2")
}

// ROM's typed Config renders the Day-1 configuration the characteristics
// did, and wins over them.
func TestDay1ReadsROMsConfig(t *testing.T) {
	r := &tmf.Resource{ID: "FGL2231A0BC", ResourceType: "CPE",
		Characteristics: tmf.Characteristics{{Name: CharModel, Value: "ISR-4451"}, {Name: CharSerial, Value: "FGL2231A0BC"}}}
	old, perr := Day1Of(pilot(r))
	require.Nil(t, perr)
	typed := pilot(r)
	typed.Characteristics = tmf.Characteristics{{Name: CharVLAN, Value: "1"}, {Name: CharSubnet, Value: "10.0.0.0/29"}}
	typed.Config = port.Config{VLAN: 2108, Subnet: "10.88.12.0/29", Profile: "BW-500-500-GOLD-ENT", Tier: "Gold"}
	d, perr := Day1Of(typed)
	require.Nil(t, perr)
	assert.Equal(t, old, d)
}

// ROM commits the router when it is reserved, before the site's VLAN,
// subnet and QoS policy are done: the call waits for them, the router
// that calls home meanwhile is told to call again, and the updates ROM
// sends as the items complete (port.Updater, under the call's key) make
// the configuration it then takes. An update answers nothing itself.
func TestCommitWaitsForItsServiceAndTakesUpdates(t *testing.T) {
	rg := start(t, Config{Timeout: time.Minute, Backoff: time.Second})
	r, _ := reserved(t, network(t))
	early := pilot(r)
	early.Characteristics = tmf.Characteristics{{Name: CharModel, Value: "ISR-4431"}}
	got := make(collect, 8)
	rg.z.Call(0, early, got)
	rg.serve(t)
	require.NoError(t, rg.fleet.Install(pilotSerial))
	delivered := within(t, got)
	assert.Equal(t, "delivered", delivered.Milestone, "the router called home")
	wait := <-rg.clock.waits // told to call again
	dev := rg.fleet.Device(pilotSerial)
	assert.Equal(t, []string{"backoff"}, ops(dev.Heard()), "no configuration while it is incomplete")

	partial := pilot(r)
	partial.Characteristics = early.Characteristics
	partial.Config = port.Config{VLAN: 2108, Tier: "Gold"}
	rg.z.Update(partial) // the VLAN item completed
	wait <- time.Time{}
	wait = <-rg.clock.waits
	assert.Equal(t, []string{"backoff", "backoff"}, ops(dev.Heard()), "still no subnet nor policy")

	full := *partial
	full.Config.Subnet, full.Config.Profile = "10.88.12.0/29", "BW-500-500-GOLD-ENT"
	rg.z.Update(&full) // the IP and QoS items completed
	wait <- time.Time{}
	res := within(t, got)
	require.True(t, res.Final)
	require.Nil(t, res.Err)
	assert.Equal(t, "installed", res.Milestone)
	select {
	case extra := <-got:
		t.Fatalf("an update answered: %+v", extra)
	default:
	}
	sub := dev.Show().Interfaces["GigabitEthernet0/0/0.2108"]
	assert.Equal(t, netip.MustParsePrefix("10.88.12.2/29"), sub.Address)
	assert.Equal(t, "BW-500-500-GOLD-ENT-IN", sub.PolicyIn)
	assert.Equal(t, 1, dev.Show().Applies)

	// A commit wrong beyond lacking the service is refused at once, and
	// an update that makes it wrong ends the call.
	bad := pilot(r)
	bad.Key, bad.Config = "ROI-006/commit/2", port.Config{VLAN: 5000}
	bad.Characteristics = early.Characteristics
	assert.Equal(t, port.Invalid, rg.z.Do(context.Background(), bad).Err.Class)
	waiting := pilot(r)
	waiting.Key, waiting.Characteristics = "ROI-006/commit/3", early.Characteristics
	ended := make(collect, 8)
	rg.z.Call(0, waiting, ended)
	wrong := *waiting
	wrong.Config = port.Config{Subnet: "10.88.12.0/33"}
	rg.z.Update(&wrong)
	res = within(t, ended)
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Invalid, res.Err.Class)
	assert.Contains(t, res.Err.Message, CharSubnet)
}

func ops(heard []tztp.Heard) []string {
	var out []string
	for _, h := range heard {
		out = append(out, h.Op)
	}
	return out
}

// A server killed as the router reports its saved configuration leaves
// the router configured but unheard: it calls home again, and a server
// that has not yet re-sent the call tells it to back off. The router is
// not done then (no server heard its report): it calls again after the
// backoff, and the re-sent call finds it configured.
func TestRouterUnheardAfterSavingCallsAgain(t *testing.T) {
	var killed atomic.Bool
	cfg, current := restartable(t, func(r *http.Request) {
		if killed.Load() {
			panic(http.ErrAbortHandler) // the process is gone: no answer
		}
		if r.URL.Path == pnp.WorkResponsePath {
			body, _ := io.ReadAll(r.Body)
			if bytes.Contains(body, []byte(pnp.CLIConfig)) {
				killed.Store(true)
				panic(http.ErrAbortHandler)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
	})
	before := current.Load()
	clock := &stepClock{waits: make(chan chan time.Time, 16)}
	fleet, err := tztp.NewFleet(network(t).CPE, tztp.Config{Option43: before.Option43(), Clock: clock})
	require.NoError(t, err)
	r, _ := reserved(t, network(t))
	ctx := context.Background()

	got := make(collect, 8)
	before.Call(0, pilot(r), got)
	require.Error(t, fleet.CallHome(ctx, pilotSerial), "the server died as the router reported")
	dev := fleet.Device(pilotSerial)
	require.True(t, dev.Show().Saved)

	// The new server is up before it has sent the call again.
	after, err := New(cfg)
	require.NoError(t, err)
	current.Store(after)
	killed.Store(false)
	agent := make(chan error, 1)
	go func() { agent <- fleet.CallHome(ctx, pilotSerial) }()
	var backoff chan time.Time
	select {
	case backoff = <-clock.waits:
	case err := <-agent:
		t.Fatalf("told to back off, the router stopped calling, unheard: %v", err)
	}
	assert.Equal(t, "backoff", dev.Heard()[len(dev.Heard())-1].Op)

	again := make(collect, 8)
	after.Call(0, pilot(r), again)
	backoff <- time.Time{}
	within(t, again) // delivered
	res := within(t, again)
	require.Nil(t, res.Err)
	assert.Equal(t, "installed", res.Milestone)
	require.NoError(t, <-agent)
	assert.Equal(t, 1, dev.Show().Applies, "configured once")
}

// settling is a caller that says when the answers it took are durable:
// Settled waits for the test to say (durable), as the engine waits for
// its commit.
type settling struct {
	collect
	durable chan error
}

func (s settling) Settled(ctx context.Context) error {
	select {
	case err := <-s.durable:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A router hears that its work is done only once the call's answer is
// durable: a server that told it before, then crashed before its engine
// committed the answer, would re-send the call to a router that has
// stopped calling home. Until the answer is durable the report waits;
// when it cannot be made durable, the router is told to call again
// (503), and does, and the call re-sent after the crash finds it
// configured.
func TestRouterHearsItsWorkDoneOnceDurable(t *testing.T) {
	cfg, current := restartable(t, nil)
	before := current.Load()
	fleet := fleetFor(t, before)
	r, _ := reserved(t, network(t))
	ctx := context.Background()
	dev := fleet.Device(pilotSerial)

	// Made durable: the router hears, after the answer.
	got := settling{make(collect, 8), make(chan error)}
	before.Call(0, pilot(r), got)
	agent := make(chan error, 1)
	go func() { agent <- fleet.CallHome(ctx, pilotSerial) }()
	within(t, got.collect) // delivered
	require.Nil(t, within(t, got.collect).Err)
	assert.True(t, dev.Show().Saved)
	assert.False(t, dev.Show().Heard, "the report waits for the answer to be durable")
	got.durable <- nil
	require.NoError(t, <-agent)
	assert.True(t, dev.Show().Heard)

	// Not made durable (the engine's store failed, or the process is
	// going): a fresh router is refused and calls again; the server,
	// back, re-sends the call, which finds the router configured by it.
	fleet = fleetFor(t, before)
	dev = fleet.Device(pilotSerial)
	failing, err := New(cfg)
	require.NoError(t, err)
	current.Store(failing)
	got = settling{make(collect, 8), make(chan error)}
	failing.Call(0, pilot(r), got)
	go func() { agent <- fleet.CallHome(ctx, pilotSerial) }()
	within(t, got.collect) // delivered
	require.Nil(t, within(t, got.collect).Err)
	got.durable <- errors.New("the store cannot write")
	err = <-agent
	require.Error(t, err)
	assert.Contains(t, err.Error(), "503")
	assert.True(t, dev.Show().Saved)
	assert.False(t, dev.Show().Heard, "told to call again, not that its work is done")

	after, err := New(cfg)
	require.NoError(t, err)
	current.Store(after)
	again := settling{make(collect, 8), make(chan error, 1)}
	again.durable <- nil
	after.Call(0, pilot(r), again)
	require.NoError(t, fleet.CallHome(ctx, pilotSerial))
	within(t, again.collect) // delivered
	res := within(t, again.collect)
	require.Nil(t, res.Err)
	assert.Equal(t, "installed", res.Milestone)
	assert.True(t, dev.Show().Heard)
	assert.Equal(t, 1, dev.Show().Applies, "configured once")
}

// A release finds the commit it ends by the router's serial number, as
// the commit waits for it, also when the router's resource id (a
// logistics system's asset id) is not its serial number.
func TestReleaseFindsTheRouterBySerial(t *testing.T) {
	rg := start(t, Config{Timeout: time.Minute})
	r, _ := reserved(t, network(t))
	asset := *r
	asset.ID = "ASSET-0042"
	got := make(collect, 8)
	rg.z.Call(0, pilot(&asset), got)
	res := rg.z.Do(context.Background(), &port.Request{Key: "ROI-006/release/ztp", System: port.ZTP, Op: port.Release, Item: "ROI-006", Resource: &asset})
	require.Nil(t, res.Err)
	waited := within(t, got)
	require.NotNil(t, waited.Err)
	assert.Equal(t, "released", waited.Err.Code)
}

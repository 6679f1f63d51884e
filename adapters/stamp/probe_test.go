package stamp

import (
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/stamp"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/ordertwin/ordertwin/twin"
	tst "github.com/ordertwin/ordertwin/twin/stamp"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// melb is the worked example's pilot site.
var melb = tmf.Place{ID: "MELB", Address: "Level 12, 120 Collins Street, Melbourne VIC 3000"}

// reflect starts a twin reflector with model m on loopback.
func reflect(t testing.TB, m tst.Model) (*tst.Reflector, string) {
	t.Helper()
	r, err := tst.NewReflector(tst.Config{Site: "MELB", Model: m, Log: quiet})
	require.NoError(t, err)
	return r, start(t, r)
}

func start(t testing.TB, r *tst.Reflector) string {
	t.Helper()
	addr, err := r.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(r.Close)
	return addr.String()
}

// probe makes the adapter for site MELB at addr: n packets 250µs apart,
// answers awaited for wait after the last.
func probe(t testing.TB, addr string, n int, wait time.Duration) *Probe {
	t.Helper()
	p, err := New(Config{Reflectors: map[string]string{"MELB": addr}, Count: n, Interval: 250 * time.Microsecond,
		Wait: wait, Timeout: 20 * time.Second, Log: quiet})
	require.NoError(t, err)
	return p
}

func measureReq(key string) *port.Request {
	return &port.Request{Key: key, System: port.NMS, Op: port.Measure, Item: "POI-001", Customer: "CUST-ENT-1102",
		Site: "MELB", Place: melb}
}

// expected is what the model says session 1 of n packets measures: the
// packets answered, their mean forward delay and round trip, and the RFC
// 3550 jitter of their forward delays.
func expected(m tst.Model, n int) (answered int, fwd, rtt, jitter time.Duration) {
	var j stamp.Jitter
	for seq := range uint32(n) {
		if m.Dropped(1, seq) {
			continue
		}
		answered++
		f := m.Forward(1, seq)
		fwd += f
		rtt += f + m.Backward(1, seq)
		j.Add(f)
	}
	k := time.Duration(answered)
	return answered, fwd / k, rtt / k, j.Value()
}

// The sender measures what the reflector's model says: the loss exactly
// (the same packets dropped), the forward delay and its jitter to the
// nanosecond (the NTP timestamps' rounding), the round trip within the
// real time an answer takes to come back on loopback; and the figures
// are those of the model's parameters within the sampling error of 400
// packets.
func TestMeasuresTheModel(t *testing.T) {
	m := tst.Model{RoundTrip: 3800 * time.Microsecond, Variation: 600 * time.Microsecond, Loss: 0.05, Seed: 1102}
	const n = 400
	_, addr := reflect(t, m)
	st, err := probe(t, addr, n, 300*time.Millisecond).Session(t.Context(), addr)
	require.NoError(t, err)

	answered, fwd, rtt, jitter := expected(m, n)
	assert.Equal(t, n, st.Sent)
	assert.Equal(t, answered, st.Received, "the model's drops, no more")
	assert.Zero(t, st.Duplicates)
	assert.Zero(t, st.Hops, "sent with TTL 255, echoed as it arrived: no router on loopback")
	assert.InDelta(t, float64(fwd), float64(st.Forward), 2)
	assert.InDelta(t, float64(jitter), float64(st.ForwardJitter), 2)
	assert.GreaterOrEqual(t, st.RoundTrip, rtt-time.Microsecond)
	assert.Less(t, st.RoundTrip, rtt+5*time.Millisecond, "the real return time on loopback is the only addition")
	assert.GreaterOrEqual(t, st.MinRoundTrip, 2*(1900-600)*time.Microsecond-time.Microsecond)
	assert.True(t, st.ReflectorError > 0 && st.ReflectorError < 2*time.Microsecond, "the reflector's estimate: %v", st.ReflectorError)

	// Within the sampling error of the model's parameters: loss within
	// three standard deviations, the mean round trip within a tenth of the
	// variation, the jitter of uniform delays (2/3 of the variation) within
	// a third.
	assert.InDelta(t, 5, st.LossPct(), 3.3)
	assert.InDelta(t, float64(m.RoundTrip), float64(st.RoundTrip), float64(m.Variation)/10+float64(5*time.Millisecond))
	assert.InDelta(t, float64(m.RoundTrip/2), float64(st.Forward), float64(m.Variation)/10)
	assert.InDelta(t, float64(2*m.Variation/3), float64(st.ForwardJitter), float64(2*m.Variation/3)/3)

	// The same seed measures the same; another seed drops other packets.
	_, again := reflect(t, m)
	st2, err := probe(t, again, n, 300*time.Millisecond).Session(t.Context(), again)
	require.NoError(t, err)
	assert.Equal(t, st.Received, st2.Received)
	assert.Equal(t, st.Forward, st2.Forward)
	assert.Equal(t, st.ForwardJitter, st2.ForwardJitter)
	other := m
	other.Seed++
	otherAnswered, _, _, otherJitter := expected(other, n)
	assert.False(t, otherAnswered == answered && otherJitter == jitter, "another seed, another draw")
}

// A measure answers as the twin's does: the probe named after the
// customer and site, available, with the measurements the pilot gate
// reads; the figures are the baseline of the site's region.
func TestMeasureAnswersAsTheTwin(t *testing.T) {
	net, err := twin.LoadNetwork("../../scenarios/networks/au-east.yaml")
	require.NoError(t, err)
	r, err := tst.ForSite(net, tst.Site{Code: "MELB", Address: melb.Address}, nil, tst.Options{Seed: 1102, Log: quiet})
	require.NoError(t, err)
	addr := start(t, r)
	p := probe(t, addr, 50, 300*time.Millisecond)

	tw, err := twin.New(net)
	require.NoError(t, err)
	want := make(chan *port.Result, 1)
	tw.Call(0, measureReq("POI-001/measure/PT0S"), replier(func(_ time.Duration, res *port.Result) { want <- res }))
	twinRes := <-want

	res := p.Do(t.Context(), measureReq("POI-001/measure/PT0S"))
	require.Nil(t, res.Err)
	require.NotNil(t, res.Resource)
	assert.Equal(t, twinRes.Resource.ID, res.Resource.ID)
	assert.Equal(t, "Probe-ENT-1102-MELB", res.Resource.ID)
	assert.Equal(t, twinRes.Resource.Value, res.Resource.Value)
	assert.Equal(t, twinRes.Resource.ResourceType, res.Resource.ResourceType)
	assert.Equal(t, twinRes.Resource.State, res.Resource.State)
	assert.Equal(t, twinRes.Resource.Place, res.Resource.Place)
	for _, c := range twinRes.Resource.Characteristics {
		assert.NotEmpty(t, res.Resource.Characteristics.Get(c.Name), "the twin's %s", c.Name)
	}
	assert.Equal(t, "0", res.Resource.Characteristics.Get(CharLoss), "0.001% loss drops none of 50")
	assert.Equal(t, "100", res.Resource.Characteristics.Get(CharAvailability))
	assert.Equal(t, "0", res.Resource.Characteristics.Get(CharJitter), "the twin's model has no variation")
	assert.Equal(t, twinRes.Resource.Characteristics.Get(CharLatency), "3.8")
	latency := ms(t, res.Resource.Characteristics.Get(CharLatency))
	assert.True(t, latency >= 3.8 && latency < 8.8, "3.8ms and the return on loopback: %v", latency)
}

// Reserve names the probe and sends nothing; commit measures and keeps the
// reserved probe's characteristics; release sends nothing.
func TestReserveCommitRelease(t *testing.T) {
	r, addr := reflect(t, tst.Model{RoundTrip: 4 * time.Millisecond})
	p := probe(t, addr, 20, 300*time.Millisecond)
	res := p.Do(t.Context(), &port.Request{Key: "ROI-005/reserve/1", System: port.NMS, Op: port.Reserve, Item: "ROI-005",
		Customer: "CUST-ENT-1102", Site: "MELB", Place: melb, ResourceType: ProbeType})
	require.Nil(t, res.Err)
	assert.Equal(t, &tmf.Resource{ID: "Probe-ENT-1102-MELB", Value: "Probe-ENT-1102-MELB", ResourceType: ProbeType,
		State: "reserved", Place: melb}, res.Resource)
	assert.Zero(t, r.Sessions())

	held := *res.Resource
	held.Characteristics = tmf.Characteristics{{Name: "thresholdLatencyMs", Value: "10"}}
	res = p.Do(t.Context(), &port.Request{Key: "ROI-005/commit/1", System: port.NMS, Op: port.Commit, Item: "ROI-005",
		Site: "MELB", Place: melb, Resource: &held})
	require.Nil(t, res.Err)
	assert.Equal(t, "available", res.Resource.State)
	assert.Equal(t, "10", res.Resource.Characteristics.Get("thresholdLatencyMs"))
	assert.NotEmpty(t, res.Resource.Characteristics.Get(CharLatency))
	assert.Len(t, held.Characteristics, 1, "the request's resource is not written")
	assert.Equal(t, 1, r.Sessions())

	res = p.Do(t.Context(), &port.Request{Key: "ROI-005/release/1", System: port.NMS, Op: port.Release, Item: "ROI-005",
		Site: "MELB", Resource: &held})
	require.Nil(t, res.Err)
	assert.Equal(t, 1, r.Sessions())
}

func ms(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err)
	return v
}

// The dry run is the packets the session sends, byte for byte but for
// the transmit timestamp stamped when each is sent.
func TestDryRunIsWhatIsSent(t *testing.T) {
	r, addr := reflect(t, tst.Model{RoundTrip: 2 * time.Millisecond})
	p := probe(t, addr, 30, 300*time.Millisecond)
	dry, perr := p.DryRun(measureReq("k"))
	require.Nil(t, perr)
	require.Len(t, dry, 30)
	before := stamp.NTP(time.Now())
	require.Nil(t, p.Do(t.Context(), measureReq("k")).Err)
	after := stamp.NTP(time.Now())
	got := r.Received()
	require.Len(t, got, 30)
	for i, sent := range dry {
		assert.Equal(t, "stamp", sent.Protocol)
		assert.Equal(t, addr, sent.To)
		want, err := hex.DecodeString(sent.Body)
		require.NoError(t, err)
		pkt := got[i]
		t1 := stamp.Timestamp(uint64(pkt[4])<<56 | uint64(pkt[5])<<48 | uint64(pkt[6])<<40 | uint64(pkt[7])<<32 |
			uint64(pkt[8])<<24 | uint64(pkt[9])<<16 | uint64(pkt[10])<<8 | uint64(pkt[11]))
		assert.True(t, t1 >= before && t1 <= after, "packet %d stamped when sent", i)
		masked := append([]byte(nil), pkt...)
		copy(masked[4:12], make([]byte, 8))
		assert.Equal(t, want, masked, "packet %d", i)
	}
	nothing, perr := p.DryRun(&port.Request{System: port.NMS, Op: port.Reserve, Customer: "CUST-ENT-1102", Site: "MELB",
		ResourceType: ProbeType})
	assert.Nil(t, perr)
	assert.Empty(t, nothing, "a reserve sends nothing")
}

// The pilot's SLA breach (the twin's fault rule, as data) makes the pilot
// gate's validation fail on latency at MELB; a site the rule does not
// target passes.
func TestBreachFailsThePilotGate(t *testing.T) {
	sc, err := scenarios.LoadLibrary("pilot-sla-breach.yaml")
	require.NoError(t, err)
	gold, err := sc.Spec.Catalog.Tier(sc.Spec.Catalog.Offerings["PO-EFCG-01"], "Gold")
	require.NoError(t, err)
	measure := func(site tst.Site) *port.Result {
		r, err := tst.ForSite(sc.Spec.Network, site, sc.Spec.Faults, tst.Options{Seed: sc.Spec.Seed, Log: quiet})
		require.NoError(t, err)
		addr := start(t, r)
		p, err := New(Config{Reflectors: map[string]string{site.Code: addr}, Count: 50, Interval: 100 * time.Microsecond,
			Wait: 300 * time.Millisecond, Log: quiet})
		require.NoError(t, err)
		return p.Do(t.Context(), &port.Request{Key: "m", System: port.NMS, Op: port.Measure, Item: "POI", Customer: "CUST-ENT-1102",
			Site: site.Code, Place: tmf.Place{ID: site.Code, Address: site.Address}})
	}
	res := measure(tst.Site{Code: "MELB", Address: melb.Address})
	require.Nil(t, res.Err)
	why := gold.Breach(res.Resource.Characteristics)
	assert.Regexp(t, `^latency [\d.]+ms over 10ms$`, why)
	latency := ms(t, res.Resource.Characteristics.Get(CharLatency))
	assert.True(t, latency >= 18 && latency < 23, "18ms and the return on loopback: %v", latency)

	res = measure(tst.Site{Code: "SYD1", Address: "Level 20, 1 Martin Place, Sydney NSW 2000"})
	require.Nil(t, res.Err)
	assert.Empty(t, gold.Breach(res.Resource.Characteristics))
}

// No reflector at the site's address: the session runs to its end and
// fails hard (noReflector). A reflector that answers nothing: transient
// (timeout) at the end of the wait. A session longer than the call's
// deadline: transient at the deadline.
func TestNoAnswer(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := conn.LocalAddr().String()
	require.NoError(t, conn.Close())
	res := probe(t, closed, 5, 200*time.Millisecond).Do(t.Context(), measureReq("k"))
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Hard, res.Err.Class)
	assert.Equal(t, "noReflector", res.Err.Code)
	assert.Nil(t, res.Resource)

	r, addr := reflect(t, tst.Model{RoundTrip: time.Millisecond})
	f, err := r.Inject(&tst.Fault{Name: "down", Kind: tst.Silent})
	require.NoError(t, err)
	start := time.Now()
	res = probe(t, addr, 5, 200*time.Millisecond).Do(t.Context(), measureReq("k"))
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Transient, res.Err.Class)
	assert.Equal(t, "timeout", res.Err.Code)
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond, "it waited for answers")
	assert.Equal(t, 1, f.Hits())

	_, addr = reflect(t, tst.Model{RoundTrip: time.Millisecond})
	p, err := New(Config{Reflectors: map[string]string{"MELB": addr}, Count: 1000, Interval: 10 * time.Millisecond,
		Timeout: 100 * time.Millisecond, Log: quiet})
	require.NoError(t, err)
	start = time.Now()
	res = p.Do(t.Context(), measureReq("k"))
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Transient, res.Err.Class)
	assert.Equal(t, "timeout", res.Err.Code)
	assert.ErrorIs(t, res.Err, port.ErrTransient)
	assert.Less(t, time.Since(start), 5*time.Second, "it ended at its deadline, not after 10s of packets")
}

// A repeated key is the same call: one session, the same answer; a new
// key for the item is a new call.
func TestRepeatedKeyIsTheSameCall(t *testing.T) {
	r, addr := reflect(t, tst.Model{RoundTrip: time.Millisecond})
	p := probe(t, addr, 10, 300*time.Millisecond)
	first := p.Do(t.Context(), measureReq("POI-001/measure/P8D"))
	again := p.Do(t.Context(), measureReq("POI-001/measure/P8D"))
	assert.Same(t, first, again)
	assert.Equal(t, 1, r.Sessions())
	other := p.Do(t.Context(), measureReq("POI-001/measure/P9D"))
	assert.NotSame(t, first, other)
	assert.Equal(t, 2, r.Sessions())
}

// Call answers once, from another goroutine, at the time it was called.
func TestCallAnswersOnce(t *testing.T) {
	_, addr := reflect(t, tst.Model{RoundTrip: time.Millisecond})
	p := probe(t, addr, 5, 300*time.Millisecond)
	got := make(chan *port.Result, 2)
	req := measureReq("k")
	p.Call(42*time.Second, req, replier(func(at time.Duration, res *port.Result) {
		assert.Equal(t, 42*time.Second, at)
		got <- res
	}))
	req.Site = "reused by the caller"
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	select {
	case res := <-got:
		require.Nil(t, res.Err)
		assert.True(t, res.Final)
		assert.Equal(t, "Probe-ENT-1102-MELB", res.Resource.ID)
	case <-ctx.Done():
		t.Fatal("no answer")
	}
}

// A request the adapter cannot carry out fails as invalid, naming what is
// wrong, and sends nothing.
func TestBadRequestSendsNothing(t *testing.T) {
	r, addr := reflect(t, tst.Model{RoundTrip: time.Millisecond})
	p := probe(t, addr, 5, 300*time.Millisecond)
	for _, c := range []struct {
		req  port.Request
		code string
		says string
	}{
		{port.Request{System: port.NMS, Op: port.Measure, Customer: "C", Site: "PERTH"}, "unknownSite", "PERTH"},
		{port.Request{System: port.NMS, Op: port.Measure}, "badRequest", "no customer, no site"},
		{port.Request{System: port.NMS, Op: port.Commit, Site: "MELB"}, "noResource", "reserved"},
		{port.Request{System: port.NMS, Op: port.Reserve, Customer: "C", Site: "MELB", ResourceType: "CPE"}, "unknownResourceType", "CPE"},
		{port.Request{System: port.Access, Op: port.Measure}, "wrongSystem", "access"},
		{port.Request{System: port.NMS, Op: port.Check}, "unsupported", "check"},
	} {
		res := p.Do(t.Context(), &c.req)
		require.NotNil(t, res.Err, c.code)
		assert.Equal(t, port.Invalid, res.Err.Class)
		assert.Equal(t, c.code, res.Err.Code)
		assert.Contains(t, res.Err.Message, c.says)
		_, perr := p.DryRun(&c.req)
		assert.Equal(t, res.Err, perr)
	}
	assert.Empty(t, r.Received())
	_, err := New(Config{})
	assert.ErrorContains(t, err, "no reflector")
	_, err = New(Config{Reflectors: map[string]string{"MELB": ""}})
	assert.ErrorContains(t, err, "MELB")
}

type replier func(time.Duration, *port.Result)

func (f replier) Reply(at time.Duration, r *port.Result) { f(at, r) }

package radius

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
	rad "github.com/ordertwin/ordertwin/core/radius"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/twin"
	trad "github.com/ordertwin/ordertwin/twin/radius"
)

const secret = "vu9-Fq2!secret"

var (
	melb = tmf.Place{ID: "MELB", Name: "Melbourne HQ", Address: "Level 12, 120 Collins Street, Melbourne VIC 3000"}
	gold = tmf.Characteristics{{Name: "speed", Value: "500M-sym"}, {Name: "slaTier", Value: "Gold"}}
	vlan = &tmf.Resource{ID: "ENT-MEL-VLAN-2108", ResourceType: "VLAN", State: "reserved", Value: "VLAN 2108", Place: melb,
		Characteristics: tmf.Characteristics{{Name: "pool", Value: "ENT-MEL"}, {Name: "vlanId", Value: "2108"}}}
)

func network(t testing.TB) *twin.Network {
	t.Helper()
	n, err := twin.LoadNetwork(filepath.Join("..", "..", "scenarios", "networks", "au-east.yaml"))
	require.NoError(t, err)
	return n
}

// rig is the twin's DAS for a network on loopback and an adapter for it,
// logging into log.
type rig struct {
	srv *trad.Server
	bng *BNG
	log *logBuffer
}

// logBuffer is a log written from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newRig(t testing.TB, faults []*trad.Fault, tune func(*Config)) *rig {
	t.Helper()
	n := network(t)
	var log logBuffer
	logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	scfg := trad.ForNetwork(n, []byte(secret))
	scfg.Faults, scfg.Log = faults, logger
	srv, err := trad.New(scfg)
	require.NoError(t, err)
	addr, err := srv.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })

	file := filepath.Join(t.TempDir(), "bng.secret")
	require.NoError(t, os.WriteFile(file, []byte(secret+"\n"), 0o600))
	cfg := Config{BNGs: map[string]string{}, Sites: trad.Sites(n), SecretFile: file, Timeout: 5 * time.Second,
		Retry: 100 * time.Millisecond, Log: logger}
	for _, b := range scfg.BNGs {
		cfg.BNGs[b] = addr.String()
	}
	for _, q := range n.QoSTemplates {
		cfg.Templates = append(cfg.Templates, Template{Name: q.Name, SpeedMbps: q.SpeedMbps, Tier: q.Tier})
	}
	if tune != nil {
		tune(&cfg)
	}
	b, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NotContains(t, log.String(), secret, "the secret is never logged") })
	return &rig{srv: srv, bng: b, log: &log}
}

func request(op port.Op, key string, r *tmf.Resource) *port.Request {
	req := &port.Request{Key: key, System: port.BNG, Op: op, Item: "ROI-004", Customer: "CUST-ENT-1102", Site: "MELB",
		Place: melb, Resource: r}
	switch {
	case r == nil:
		req.ResourceType, req.Characteristics = "QoSPolicy", gold
	case r.ResourceType == "VLAN":
		req.Item = "ROI-002"
	}
	return req
}

// inProcess is the in-process twin's answer to req.
func inProcess(t *testing.T, tw *twin.Twin, req *port.Request) *port.Result {
	t.Helper()
	var got *port.Result
	tw.Call(0, req, replier(func(_ time.Duration, res *port.Result) { got = res }))
	require.NotNil(t, got)
	return got
}

type replier func(time.Duration, *port.Result)

func (f replier) Reply(at time.Duration, res *port.Result) { f(at, res) }

const user = "CUST-ENT-1102/MELB"

// The pilot site's QoS policy and VLAN over RADIUS: the reserve picks what
// the in-process twin picks, the commits set the subscriber's policies and
// VLAN on the twin's BNG, a change sets another policy, and the release
// ends the session; a second release finds it gone and is done.
func TestPilotSubscriberLifecycle(t *testing.T) {
	r := newRig(t, nil, nil)
	ctx := context.Background()
	tw, err := twin.New(network(t))
	require.NoError(t, err)

	reserve := request(port.Reserve, "ROI-004/reserve/1", nil)
	want := inProcess(t, tw, reserve)
	res := r.bng.Do(ctx, reserve)
	require.Nil(t, res.Err)
	assert.Equal(t, want.Resource, res.Resource, "the same allocation as the in-process twin")
	assert.Equal(t, "BW-500-500-GOLD-ENT-ROI-004", res.Resource.ID)
	assert.Equal(t, "BNG-MEL-01", res.Resource.Characteristics.Get("bng"))
	assert.Empty(t, r.srv.Received(), "a reserve holds nothing on the BNG")
	policy := res.Resource

	commit := request(port.Commit, "ROI-004/commit/1", policy)
	want = inProcess(t, tw, commit)
	res = r.bng.Do(ctx, commit)
	require.Nil(t, res.Err)
	assert.Equal(t, want.Resource, res.Resource)
	res = r.bng.Do(ctx, request(port.Commit, "ROI-002/commit/1", vlan))
	require.Nil(t, res.Err)
	assert.Equal(t, "available", res.Resource.State)
	sub, ok := r.srv.Subscriber("BNG-MEL-01", user)
	require.True(t, ok)
	assert.Equal(t, trad.Subscriber{BNG: "BNG-MEL-01", User: user, PolicyIn: "BW-500-500-GOLD-ENT",
		PolicyOut: "BW-500-500-GOLD-ENT", Port: "vlan2108"}, sub)

	// A change: the site moves to 1 Gbps.
	change := request(port.Reserve, "ROI-004/reserve/2", nil)
	change.Characteristics = tmf.Characteristics{{Name: "speed", Value: "1G-sym"}, {Name: "slaTier", Value: "Gold"}}
	res = r.bng.Do(ctx, change)
	require.Nil(t, res.Err)
	res = r.bng.Do(ctx, request(port.Commit, "ROI-004/commit/2", res.Resource))
	require.Nil(t, res.Err)
	sub, _ = r.srv.Subscriber("BNG-MEL-01", user)
	assert.Equal(t, "BW-1000-1000-GOLD-ENT", sub.PolicyIn)
	assert.Equal(t, "vlan2108", sub.Port)

	release := request(port.Release, "ROI-004/release/1", policy)
	want = inProcess(t, tw, release)
	res = r.bng.Do(ctx, release)
	require.Nil(t, res.Err)
	assert.Equal(t, want.Resource, res.Resource)
	_, ok = r.srv.Subscriber("BNG-MEL-01", user)
	assert.False(t, ok, "the Disconnect-Request ended the session")
	res = r.bng.Do(ctx, request(port.Release, "ROI-004/release/2", policy))
	assert.Nil(t, res.Err, "a release of a session already gone is done")
}

// DryRun renders exactly the attributes Do sends, as the twin's BNG read
// them.
func TestDryRunIsWhatIsSent(t *testing.T) {
	r := newRig(t, nil, nil)
	policy := &tmf.Resource{ID: "BW-500-500-GOLD-ENT-ROI-004", ResourceType: "QoSPolicy", Value: "BW-500-500-GOLD-ENT",
		Characteristics: tmf.Characteristics{{Name: "bng", Value: "BNG-MEL-01"}, {Name: "cir", Value: "true"}}}
	reqs := []*port.Request{request(port.Commit, "c1", policy), request(port.Commit, "c2", vlan), request(port.Release, "r1", policy)}
	var dry []port.Sent
	for _, req := range reqs {
		sent, perr := r.bng.DryRun(req)
		require.Nil(t, perr)
		require.Len(t, sent, 1)
		dry = append(dry, sent...)
		require.Nil(t, r.bng.Do(context.Background(), req).Err)
	}
	got := r.srv.Received()
	require.Len(t, got, len(dry))
	for i, m := range got {
		assert.Equal(t, dry[i].Op, m.Code.String())
		assert.Equal(t, dry[i].Body, rad.Render(m.Attrs))
		assert.Equal(t, "radius", dry[i].Protocol)
		assert.Equal(t, r.bng.cfg.BNGs["BNG-MEL-01"], dry[i].To)
		assert.NotContains(t, dry[i].Body, secret)
	}
	assert.Equal(t, `NAS-Identifier = "BNG-MEL-01"
User-Name = "CUST-ENT-1102/MELB"
Cisco-AVPair = "subscriber:sub-qos-policy-in=BW-500-500-GOLD-ENT"
Cisco-AVPair = "subscriber:sub-qos-policy-out=BW-500-500-GOLD-ENT"
Message-Authenticator = 0x00
`, dry[0].Body)
	assert.Equal(t, "CoA-Request", dry[1].Op)
	assert.Contains(t, dry[1].Body, `NAS-Port-Id = "vlan2108"`)
	assert.Equal(t, "Disconnect-Request", dry[2].Op)

	sent, perr := r.bng.DryRun(request(port.Reserve, "x", nil))
	require.Nil(t, perr)
	assert.Empty(t, sent)
}

// A repeated key is the same call: the same answer, nothing sent again.
func TestRepeatedKeySameAnswer(t *testing.T) {
	r := newRig(t, []*trad.Fault{{Code: "CoA-Request", Kind: trad.NAK, Cause: rad.ResourcesUnavailable, Times: 1}}, nil)
	policy := &tmf.Resource{ID: "P", ResourceType: "QoSPolicy", Value: "BW-500-500-GOLD-ENT"}
	first := r.bng.Do(context.Background(), request(port.Commit, "ROI-004/commit/1", policy))
	require.NotNil(t, first.Err)
	again := r.bng.Do(context.Background(), request(port.Commit, "ROI-004/commit/1", policy))
	assert.Same(t, first, again)
	assert.Len(t, r.srv.Received(), 1)
	// The next attempt is another call, and goes through.
	next := r.bng.Do(context.Background(), request(port.Commit, "ROI-004/commit/2", policy))
	assert.Nil(t, next.Err)
	assert.Len(t, r.srv.Received(), 2)

	// Call answers from its own goroutine, once.
	got := make(chan *port.Result, 2)
	r.bng.Call(0, request(port.Commit, "ROI-004/commit/2", policy), replier(func(_ time.Duration, res *port.Result) { got <- res }))
	assert.Same(t, next, <-got)
}

// Calls with one key at the same time are one call: the second waits for
// the first's answer.
func TestSameKeyAtOnceIsOneCall(t *testing.T) {
	r := newRig(t, []*trad.Fault{{Kind: trad.Drop, Times: 1}}, nil)
	got := make(chan *port.Result, 2)
	for range 2 {
		go func() { got <- r.bng.Do(context.Background(), request(port.Commit, "ROI-002/commit/1", vlan)) }()
	}
	a, b := <-got, <-got
	require.Nil(t, a.Err)
	assert.Same(t, a, b)
	assert.Len(t, r.srv.Received(), 2, "the request and its one resend")
}

// A NAK's Error-Cause decides the failure policy's class.
func TestNAKClasses(t *testing.T) {
	for _, c := range []struct {
		cause rad.Cause
		class port.ErrorClass
	}{
		{rad.SessionContextNotFound, port.Hard},
		{rad.ResourcesUnavailable, port.Transient},
		{rad.InvalidRequest, port.Invalid},
		{rad.UnsupportedService, port.Hard},
		{rad.MissingAttribute, port.Invalid},
	} {
		t.Run(c.cause.String(), func(t *testing.T) {
			r := newRig(t, []*trad.Fault{{Kind: trad.NAK, Cause: c.cause}}, nil)
			res := r.bng.Do(context.Background(), request(port.Commit, "k", vlan))
			require.NotNil(t, res.Err)
			assert.Equal(t, c.class, res.Err.Class)
			assert.Equal(t, c.cause.String(), res.Err.Code)
			assert.Contains(t, res.Err.Message, "CoA-NAK")
			_, ok := r.srv.Subscriber("BNG-MEL-01", user)
			assert.False(t, ok, "a refused request changes nothing")
		})
	}
	// What the twin's BNG refuses by itself: a policy it does not hold.
	r := newRig(t, nil, nil)
	res := r.bng.Do(context.Background(), request(port.Commit, "k", &tmf.Resource{ID: "P", ResourceType: "QoSPolicy", Value: "BW-9-9-TIN"}))
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Hard, res.Err.Class)
	assert.Equal(t, "Unsupported-Service", res.Err.Code)
}

// A lost request is sent again with the same Identifier; no answer by the
// deadline is transient.
func TestRetransmissionAndDeadline(t *testing.T) {
	r := newRig(t, []*trad.Fault{{Kind: trad.Drop, Times: 2}}, nil)
	res := r.bng.Do(context.Background(), request(port.Commit, "k", vlan))
	require.Nil(t, res.Err)
	// Two dropped, the third answered; a slow answer (a loaded machine)
	// may see a fourth sent before it, the same request again.
	got := r.srv.Received()
	require.GreaterOrEqual(t, len(got), 3)
	for _, m := range got {
		assert.Equal(t, got[0].Identifier, m.Identifier)
	}

	r = newRig(t, []*trad.Fault{{Kind: trad.Drop}}, func(c *Config) { c.Timeout, c.Retry = 400*time.Millisecond, 50*time.Millisecond })
	start := time.Now()
	res = r.bng.Do(context.Background(), request(port.Commit, "k", vlan))
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Transient, res.Err.Class)
	assert.Equal(t, "timeout", res.Err.Code)
	assert.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond)
	assert.GreaterOrEqual(t, len(r.srv.Received()), 2)
	for _, m := range r.srv.Received() {
		assert.Equal(t, r.srv.Received()[0].Identifier, m.Identifier)
	}
}

// A client with the wrong secret is not answered, and changes nothing.
func TestWrongSecretRefused(t *testing.T) {
	t.Setenv("BNG_SECRET_WRONG", "not-the-secret")
	r := newRig(t, nil, func(c *Config) {
		c.SecretFile, c.SecretEnv = "", "BNG_SECRET_WRONG"
		c.Timeout, c.Retry = 300*time.Millisecond, 100*time.Millisecond
	})
	res := r.bng.Do(context.Background(), request(port.Commit, "k", vlan))
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Transient, res.Err.Class)
	assert.GreaterOrEqual(t, r.srv.Refused(), 1)
	assert.Empty(t, r.srv.Received())
	_, ok := r.srv.Subscriber("BNG-MEL-01", user)
	assert.False(t, ok)
	assert.NotContains(t, res.Err.Message, "not-the-secret")
	assert.NotContains(t, r.log.String(), "not-the-secret")
}

// Bad requests and bad configurations fail at once, naming what is wrong,
// and send nothing.
func TestBadRequestsAndConfig(t *testing.T) {
	r := newRig(t, nil, nil)
	for _, c := range []struct {
		req  *port.Request
		code string
	}{
		{&port.Request{System: port.Access, Op: port.Reserve}, "wrongSystem"},
		{request(port.Commit, "k1", nil), "noResource"},
		{request(port.Commit, "k2", &tmf.Resource{ID: "V", ResourceType: "VLAN", Characteristics: tmf.Characteristics{{Name: "vlanId", Value: "5000"}}}), "badVLAN"},
		{request(port.Release, "k3", vlan), "unsupported"},
		{&port.Request{System: port.BNG, Op: port.Reserve, ResourceType: "QoSPolicy", Place: melb}, "noSubscriber"},
		{&port.Request{System: port.BNG, Op: port.Reserve, ResourceType: "QoSPolicy", Customer: "C", Site: "S", Place: tmf.Place{Address: "nowhere"}}, "noBNG"},
	} {
		res := r.bng.Do(context.Background(), c.req)
		require.NotNil(t, res.Err, c.code)
		assert.Equal(t, c.code, res.Err.Code)
		assert.Equal(t, port.Invalid, res.Err.Class)
	}
	tin := request(port.Reserve, "k4", nil)
	tin.Characteristics = tmf.Characteristics{{Name: "speed", Value: "7M"}, {Name: "slaTier", Value: "Tin"}}
	res := r.bng.Do(context.Background(), tin)
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Hard, res.Err.Class)
	assert.Equal(t, "noQoSTemplate", res.Err.Code)
	assert.Empty(t, r.srv.Received())

	_, err := New(Config{BNGs: map[string]string{"B": "127.0.0.1:3799"}})
	assert.ErrorContains(t, err, "no shared secret")
	_, err = New(Config{BNGs: map[string]string{"B": "127.0.0.1:3799"}, SecretEnv: "BNG_SECRET_UNSET_HERE"})
	assert.ErrorContains(t, err, "BNG_SECRET_UNSET_HERE is empty or unset")
	_, err = New(Config{BNGs: map[string]string{"B": "127.0.0.1:3799"}, Sites: map[string]string{"a": "C"}, SecretEnv: "X"})
	assert.ErrorContains(t, err, `served by "C", which has no endpoint`)
	_, err = New(Config{})
	assert.ErrorContains(t, err, "no BNG endpoints")
}

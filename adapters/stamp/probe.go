// Package stamp is the SLA probe adapter: the NMS system's probe calls
// carried out by a STAMP Session-Sender (RFC 8762, unauthenticated mode,
// TWAMP-Light compatible) against the site's Session-Reflector — the CE
// router's responder. A session sends a number of test packets over UDP
// and computes, from the four timestamps of each answer, the round-trip
// delay, the jitter and the loss the pilot gate's SLA validation reads.
package stamp

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/stamp"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// The characteristics a measurement answers with; the first three are the
// ones the pilot gate compares with the SLA tier.
const (
	CharLatency      = "measuredLatencyMs"    // mean round-trip delay
	CharLoss         = "measuredLossPct"      // test packets not answered, percent
	CharAvailability = "measuredAvailability" // test packets answered, percent
	CharJitter       = "measuredJitterMs"     // RFC 3550 jitter, sender to reflector
	ProbeType        = "TWAMPProbe"           // the resource type of a probe
	defaultProbeName = "Probe-{customer.code}-{site}"
)

// Config configures the SLA probe adapter.
type Config struct {
	// Reflectors maps a site code (MELB, as port requests name it) to its
	// Session-Reflector's UDP address, host:port (STAMP's port is 862).
	Reflectors map[string]string
	// Count is how many test packets a session sends (100 if zero), one
	// every Interval (10ms if zero).
	Count    int
	Interval time.Duration
	// Wait is how long a session waits for answers after its last packet
	// (2s if zero): a packet not answered by then is lost.
	Wait time.Duration
	// Timeout bounds one call, waiting for a turn included (30s if zero):
	// past it the call fails as transient.
	Timeout time.Duration
	// Concurrency bounds the sessions in flight (4 if zero).
	Concurrency int
	// ProbeName names a site's probe, {customer.code} (ENT-1102 for
	// CUST-ENT-1102) and {site} replaced: the network's probes.name
	// (Probe-{customer.code}-{site} if empty).
	ProbeName string
	// Error is the sender's error estimate (not synchronised, ±1ms if
	// zero).
	Error stamp.ErrorEstimate
	Log   *slog.Logger
}

// Probe is the SLA probe adapter. A reserve names the site's probe, a
// commit activates it by measuring the path to the site (the answer is the
// probe with its measurements), a measure measures again, a release lets
// the probe go; only commit and measure send anything.
type Probe struct {
	cfg   Config
	slots chan struct{}

	mu sync.Mutex
	// calls holds the latest call of each item (or key, for calls that
	// name no item): a repeated key is the same call and gets its answer.
	calls map[string]*call
}

type call struct {
	key  string
	done chan struct{}
	res  *port.Result
}

// New checks cfg and makes the adapter.
func New(cfg Config) (*Probe, error) {
	if len(cfg.Reflectors) == 0 {
		return nil, errors.New("SLA probe adapter: no reflector endpoints")
	}
	for site, addr := range cfg.Reflectors {
		if addr == "" {
			return nil, fmt.Errorf("SLA probe adapter: site %s has no reflector address", site)
		}
	}
	if cfg.Count < 0 || cfg.Count > 1<<20 {
		return nil, fmt.Errorf("SLA probe adapter: count %d must be between 1 and %d", cfg.Count, 1<<20)
	}
	if cfg.Count == 0 {
		cfg.Count = 100
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Millisecond
	}
	if cfg.Wait <= 0 {
		cfg.Wait = 2 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.ProbeName == "" {
		cfg.ProbeName = defaultProbeName
	}
	if cfg.Error == 0 {
		cfg.Error = stamp.Estimate(false, time.Millisecond)
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Probe{cfg: cfg, slots: make(chan struct{}, cfg.Concurrency), calls: map[string]*call{}}, nil
}

// Call starts req and returns at once; the final Result comes through
// reply from another goroutine, so reply must take answers from any
// goroutine (the engine's inbox). Its time is now: the inbox stamps the
// answer when it arrives.
func (p *Probe) Call(now time.Duration, req *port.Request, reply port.Replier) {
	r := *req // the caller reuses req
	if req.Resource != nil {
		held := *req.Resource
		r.Resource = &held
	}
	go func() { reply.Reply(now, p.Do(context.Background(), &r)) }()
}

// Do carries out req within the adapter's timeout and returns the final
// Result. A call with the key of one made before (or still in flight)
// gets that call's answer.
func (p *Probe) Do(ctx context.Context, req *port.Request) *port.Result {
	item := req.Item
	if item == "" {
		item = req.Key
	}
	p.mu.Lock()
	if c, ok := p.calls[item]; ok && req.Key != "" && c.key == req.Key {
		p.mu.Unlock()
		select {
		case <-c.done:
			return c.res
		case <-ctx.Done():
			return failed(req, &port.Error{Class: port.Transient, Code: "timeout", Message: "NMS timeout: waiting for the same call: " + ctx.Err().Error()})
		}
	}
	c := &call{key: req.Key, done: make(chan struct{})}
	if item != "" {
		p.calls[item] = c
	}
	p.mu.Unlock()
	c.res = p.do(ctx, req)
	close(c.done)
	return c.res
}

// failed is req's final answer with err.
func failed(req *port.Request, err *port.Error) *port.Result {
	res := answer(req)
	res.Err = err
	return res
}

func answer(req *port.Request) *port.Result {
	return &port.Result{Key: req.Key, System: req.System, Op: req.Op, Item: req.Item, Handle: req.Handle, Final: true}
}

func (p *Probe) do(ctx context.Context, req *port.Request) *port.Result {
	res := answer(req)
	name, addr, perr := p.check(req)
	if perr != nil {
		res.Err = perr
		return res
	}
	switch req.Op {
	case port.Reserve:
		res.Resource = &tmf.Resource{ID: name, Value: name, ResourceType: ProbeType, State: "reserved", Place: req.Place}
		return res
	case port.Release:
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	select {
	case p.slots <- struct{}{}:
		defer func() { <-p.slots }()
	case <-ctx.Done():
		res.Err = Classify(fmt.Errorf("waiting for a turn: %w", ctx.Err()))
		return res
	}
	start := time.Now()
	st, err := p.Session(ctx, addr)
	log := p.cfg.Log.With("site", req.Site, "op", string(req.Op), "item", req.Item, "key", req.Key, "reflector", addr,
		"took", time.Since(start))
	if err != nil {
		res.Err = Classify(err)
		log.Warn("STAMP session failed", "class", string(res.Err.Class), "err", err)
		return res
	}
	log.Info("STAMP session measured", "sent", st.Sent, "answered", st.Received, "roundTrip", st.RoundTrip, "jitter", st.ForwardJitter)
	r := &tmf.Resource{ID: name, Value: name, ResourceType: ProbeType, Place: req.Place}
	if req.Op == port.Commit {
		*r = *req.Resource
	}
	r.State = "available"
	r.Characteristics = append(slices.Clip(r.Characteristics), st.Characteristics()...)
	res.Resource = r
	return res
}

// check reads what a call needs: the probe's name and, for a commit or a
// measure, the site's reflector. Nothing is sent for a request it
// refuses.
func (p *Probe) check(req *port.Request) (name, addr string, _ *port.Error) {
	bad := func(code, format string, args ...any) (string, string, *port.Error) {
		return "", "", &port.Error{Class: port.Invalid, Code: code, Message: fmt.Sprintf(format, args...)}
	}
	if req.System != port.NMS {
		return bad("wrongSystem", "the SLA probe adapter got a call for %q", req.System)
	}
	switch req.Op {
	case port.Reserve:
		if req.ResourceType != ProbeType {
			return bad("unknownResourceType", "the SLA probe adapter reserves %s, not %q", ProbeType, req.ResourceType)
		}
	case port.Commit:
		if req.Resource == nil {
			return bad("noResource", "commit without a reserved resource")
		}
	case port.Measure, port.Release:
	default:
		return bad("unsupported", "nms does not support %s", req.Op)
	}
	var missing []string
	if req.Customer == "" && req.Op != port.Commit && req.Op != port.Release {
		missing = append(missing, "customer")
	}
	if req.Site == "" {
		missing = append(missing, "site")
	}
	if len(missing) > 0 {
		return bad("badRequest", "SLA probe %s: no %s", req.Op, strings.Join(missing, ", no "))
	}
	name = p.probeName(req.Customer, req.Site)
	if req.Op == port.Commit || req.Op == port.Measure {
		if addr = p.cfg.Reflectors[req.Site]; addr == "" {
			return bad("unknownSite", "no STAMP reflector for site %s", req.Site)
		}
	}
	return name, addr, nil
}

// probeName names a site's probe after the configured pattern.
func (p *Probe) probeName(customer, site string) string {
	return strings.NewReplacer("{customer.code}", strings.TrimPrefix(customer, "CUST-"), "{site}", site).Replace(p.cfg.ProbeName)
}

// DryRun returns the test packets a commit or measure would send, in
// order, without sending anything (a reserve or release sends nothing).
// Each is the packet Do sends byte for byte, except its transmit
// timestamp (octets 4 to 11), which is stamped at the moment of sending:
// a dry run leaves it zero, which NTP reads as "not known".
func (p *Probe) DryRun(req *port.Request) ([]port.Sent, *port.Error) {
	_, addr, perr := p.check(req)
	if perr != nil || addr == "" {
		return nil, perr
	}
	out := make([]port.Sent, p.cfg.Count)
	for i := range out {
		pkt := p.packet(uint32(i), 0)
		out[i] = port.Sent{Protocol: "stamp", To: addr, Op: "test " + strconv.Itoa(i), Body: hex.EncodeToString(pkt)}
	}
	return out, nil
}

// packet is test packet seq stamped at t1.
func (p *Probe) packet(seq uint32, t1 stamp.Timestamp) []byte {
	return stamp.Test{Seq: seq, Timestamp: t1, Error: p.cfg.Error}.Append(make([]byte, 0, stamp.PacketSize))
}

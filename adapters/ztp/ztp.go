// Package ztp is the ZTP system's adapter: a Cisco Plug and Play server
// that hands a CE router its Day-1 configuration when the router, out of
// its box at the customer's site, calls home.
//
// A commit of a CPE resource renders the router's configuration from the
// order (hostname, WAN port and VLAN sub-interface, addressing from the
// site's /29, the QoS policy, the TWAMP/STAMP responder) and waits for the
// router with that serial number to ask for work: the server asks it what
// it is (device-info), then has it apply and save the configuration
// (cli-config). The call answers when the router reports the apply, or at
// its deadline; the router hears its report answered only once the
// answer is durable (port.Settler), since a router told its work is done
// stops calling home.
//
// ROM commits the router when it is reserved, before the site's VLAN,
// subnet and QoS policy are done: a commit that lacks only those waits
// for them, and takes them from the updates ROM sends as the items
// complete (the call again, under its key, with a fuller port.Config). A
// router that calls home before its configuration is complete is told to
// call again later.
package ztp

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ordertwin/ordertwin/core/pnp"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Config configures the ZTP adapter.
// DefaultTimeout is a commit's timeout when Config names none: shipping
// and installing a router take days.
const DefaultTimeout = 7 * 24 * time.Hour

type Config struct {
	// Advertise is where routers reach the PnP server: what DHCP option
	// 43 tells them (Advertise.Option43()). It names no credential.
	Advertise pnp.Discovery
	// TLS, if set, makes Serve speak HTTPS with its certificates (routers
	// then need Advertise.HTTPS, K5 in option 43, and to trust the
	// certificate); without it Serve speaks HTTP, or HTTPS is terminated
	// in front of it.
	TLS *tls.Config
	// User and Password, if set, are the HTTP basic credentials routers
	// must present (pre-staged in their PnP profile); a router that
	// presents others is refused. Never logged.
	User     string
	Password Secret
	// Timeout bounds a commit, from the call to the router's report
	// (DefaultTimeout if zero). A router that has
	// not called home by then is lost; one that called home but did not
	// finish is a transient failure.
	Timeout time.Duration
	// Concurrency bounds the routers being configured at once (4 if
	// zero): the others are told to back off and call again.
	Concurrency int
	// Backoff is how long a router with no work waits before it asks
	// again (1 minute if zero).
	Backoff time.Duration
	Log     *slog.Logger
}

// Secret is a credential: it prints as "[redacted]", in logs and errors.
type Secret string

func (Secret) String() string                 { return "[redacted]" }
func (Secret) GoString() string               { return "[redacted]" }
func (Secret) LogValue() slog.Value           { return slog.StringValue("[redacted]") }
func (s Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// ZTP is the PnP server and the ZTP system's adapter (port.Adapter,
// port.DryRunner). Its HTTP side (ServeHTTP, Serve) takes the routers'
// calls; Call and Do take the core's.
type ZTP struct {
	cfg Config

	mu sync.Mutex
	// calls are every call by idempotency key: a repeated key is the
	// same call. waiting are the calls still waiting for their router,
	// by serial number.
	calls   map[string]*call
	waiting map[string]*call
	active  int // routers being configured
}

// call is one commit: what it sends, and how far the router got.
type call struct {
	key, item string
	// day1 is the configuration handed over, ready once it is complete
	// (both guarded by ZTP.mu after start: Update completes them).
	day1     pnp.Day1
	ready    bool
	resource *tmf.Resource // the answer's, the reserved router made available
	deadline time.Time
	start    time.Time

	// Guarded by ZTP.mu.
	step       step
	active     bool
	udi        string        // as the router calls itself
	calledHome chan struct{} // closed at the router's first contact
	// base is the call's result before it ends (read-only); res its
	// final result, set before done is closed.
	base *port.Result
	done chan struct{}
	res  *port.Result
	// told is closed once the router may hear the call's end: when it
	// ends, or, when its answer goes to a port.Settler (settles), once
	// that says the answer is durable (untold: why it could not). A
	// router told that its work is done stops calling home, so a server
	// that told it and then lost the answer in a crash would wait for it
	// for ever.
	settles bool
	tell    sync.Once
	told    chan struct{}
	untold  error
}

// settled closes told, with err as why the router may not hear the end,
// the first time it is called.
func (c *call) settled(err error) {
	c.tell.Do(func() {
		c.untold = err
		close(c.told)
	})
}

type step int

const (
	waitingForRouter step = iota
	askedDeviceInfo
	knowsDevice
	sentCheck
	checked
	sentConfig
)

// New checks cfg and makes the adapter; Serve or ServeHTTP puts its PnP
// server to work.
func New(cfg Config) (*ZTP, error) {
	if cfg.Advertise.Host == "" || cfg.Advertise.Port < 1 || cfg.Advertise.Port > 65535 {
		return nil, errors.New("ZTP adapter: the address routers reach the PnP server at (host and port) is needed")
	}
	if (cfg.User == "") != (cfg.Password == "") {
		return nil, errors.New("ZTP adapter: routers' credentials need both a user and a password, or neither")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Minute
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &ZTP{cfg: cfg, calls: map[string]*call{}, waiting: map[string]*call{}}, nil
}

// Option43 is the DHCP option 43 text that sends routers to this server.
func (z *ZTP) Option43() string { return z.cfg.Advertise.Option43() }

// DryRun returns the messages a commit sends its router, in order, without
// sending anything: device-info, bye, cli-config with the rendered Day-1
// configuration, bye. Each names the router by the UDI its model and
// serial give; Do sends these bytes to a router that calls home with that
// UDI. A release sends nothing.
func (z *ZTP) DryRun(req *port.Request) ([]port.Sent, *port.Error) {
	if perr := check(req); perr != nil {
		return nil, perr
	}
	if req.Op == port.Release {
		return nil, nil
	}
	d, perr := Day1Of(req)
	if perr != nil {
		return nil, perr
	}
	return messages(req.Key, d, d.UDI)
}

// messages are what a call sends the router that calls home as udi.
func messages(key string, d pnp.Day1, udi string) ([]port.Sent, *port.Error) {
	text, err := d.Render()
	if err != nil {
		return nil, &port.Error{Class: port.Invalid, Code: "badRequest", Message: err.Error()}
	}
	info, check, apply := key+"-1", key+"-2", key+"-3"
	msgs := []*pnp.Message{
		pnp.Work(udi, &pnp.Request{Xmlns: pnp.DeviceInfo, Correlator: info, DeviceInfo: &pnp.InfoWanted{Type: "all"}}),
		pnp.Bye(udi, info),
		pnp.Work(udi, &pnp.Request{Xmlns: pnp.CLIExec, Correlator: check,
			ExecCLI: &pnp.ExecCLI{MaxWait: "PT60S", Cmd: "show running-config | include " + pnp.MarkerName}}),
		pnp.Bye(udi, check),
		pnp.Work(udi, &pnp.Request{Xmlns: pnp.CLIConfig, Correlator: apply,
			ConfigApply:   &pnp.ConfigApply{Details: "all", ActionOnFail: "stop", Block: pnp.ConfigData{Block: pnp.CDATA{Text: text}}},
			ConfigPersist: &struct{}{}}),
		pnp.Bye(udi, apply),
	}
	ops := []string{"device-info", "bye", "cli-exec", "bye", "cli-config", "bye"}
	sent := make([]port.Sent, len(msgs))
	for i, m := range msgs {
		sent[i] = port.Sent{Protocol: "pnp", To: udi, Op: ops[i], Body: string(m.Marshal())}
	}
	return sent, nil
}

func check(req *port.Request) *port.Error {
	if req.System != port.ZTP {
		return &port.Error{Class: port.Invalid, Code: "wrongSystem", Message: fmt.Sprintf("the ZTP adapter got a call for %q", req.System)}
	}
	if req.Op != port.Commit && req.Op != port.Release {
		return &port.Error{Class: port.Invalid, Code: "unsupported", Message: fmt.Sprintf("the ZTP adapter does no %q: CE routers are reserved by logistics", req.Op)}
	}
	if req.Resource != nil && req.Resource.ResourceType != "" && req.Resource.ResourceType != "CPE" {
		return &port.Error{Class: port.Invalid, Code: "unknownResourceType", Message: fmt.Sprintf("the ZTP adapter configures CE routers (CPE), not %q", req.Resource.ResourceType)}
	}
	return nil
}

// Call starts req and returns at once; the answers come through reply
// from another goroutine, so reply must take answers from any goroutine
// (the engine's inbox): a progress report (milestone delivered) when the
// router first calls home, then the final one (installed). The call waits
// for its router from the moment Call returns. Its time is now: the inbox
// stamps an answer when it arrives.
func (z *ZTP) Call(now time.Duration, req *port.Request, reply port.Replier) {
	settler, settles := reply.(port.Settler)
	c, res := z.start(req, settles)
	handle := req.Handle
	go func() {
		if res != nil {
			reply.Reply(now, withHandle(res, handle))
			return
		}
		res = z.wait(context.Background(), c, func(p *port.Result) { reply.Reply(now, withHandle(p, handle)) })
		reply.Reply(now, withHandle(res, handle))
		if settles && c.settles {
			ctx, cancel := context.WithTimeout(context.Background(), tellWithin)
			defer cancel()
			c.settled(settler.Settled(ctx))
		}
	}()
}

// tellWithin bounds how long a router's report that ends its call waits
// for the call's answer to be durable: then the router is told to call
// again (503), as if the server had not been there.
const tellWithin = 10 * time.Second

// Do carries out req and returns its final Result: for a commit, once the
// router has reported its configuration applied, or failed, or the
// call's deadline has passed.
func (z *ZTP) Do(ctx context.Context, req *port.Request) *port.Result {
	c, res := z.start(req, false)
	if res != nil {
		return res
	}
	return withHandle(z.wait(ctx, c, nil), req.Handle)
}

// start registers a commit, or finds the call a repeated key made; a
// call that answers at once (a release, a bad request, a finished call)
// has its result. settles says that the caller of a new call will say
// when its answer is durable (call.told).
func (z *ZTP) start(req *port.Request, settles bool) (*call, *port.Result) {
	res := &port.Result{Key: req.Key, System: req.System, Op: req.Op, Item: req.Item, Handle: req.Handle, Final: true}
	if perr := check(req); perr != nil {
		res.Err = perr
		return nil, res
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if c, ok := z.calls[req.Key]; ok && req.Key != "" {
		select {
		case <-c.done:
			return nil, withHandle(c.res, req.Handle)
		default:
			return c, nil
		}
	}
	if req.Op == port.Release {
		if req.Resource != nil {
			// The router a commit waits for is named by its serial
			// number, which a logistics system's resource id need not be.
			serial := first(req.Resource.Characteristics.Get(CharSerial), req.Resource.ID)
			if c := z.waiting[serial]; c != nil {
				z.finish(c, &port.Error{Class: port.Hard, Code: "released", Message: fmt.Sprintf("CE router %s was released before it was configured", req.Resource.ID)}, "")
			}
		}
		return nil, res
	}
	d, perr := Day1Of(req)
	if perr != nil && !waitsForService(req) {
		res.Err = perr
		return nil, res
	}
	r := *req.Resource
	r.State = "available"
	r.Characteristics = slices.Clone(r.Characteristics)
	now := time.Now()
	c := &call{key: req.Key, item: req.Item, day1: d, ready: perr == nil, resource: &r,
		start: now, deadline: now.Add(z.cfg.Timeout), calledHome: make(chan struct{}), done: make(chan struct{}),
		settles: settles, told: make(chan struct{})}
	c.base = res
	if old := z.waiting[d.Serial]; old != nil {
		z.finish(old, &port.Error{Class: port.Transient, Code: "superseded", Message: fmt.Sprintf("a later call (%s) configures CE router %s", req.Key, d.Serial)}, "")
	}
	z.waiting[d.Serial] = c
	if req.Key != "" {
		z.calls[req.Key] = c
	}
	return c, nil
}

// Update implements port.Updater: it takes the values of req, a new
// version of a commit waiting for its router, into the call — its Day-1
// configuration, complete or not yet — until the router has been sent
// it; one that makes it wrong beyond lacking the service ends the call.
// A key of no call waiting changes nothing.
func (z *ZTP) Update(req *port.Request) {
	z.mu.Lock()
	defer z.mu.Unlock()
	c := z.calls[req.Key]
	if c == nil || req.Op != port.Commit || check(req) != nil {
		return
	}
	select {
	case <-c.done:
		return
	default:
	}
	if c.step >= sentConfig {
		z.cfg.Log.Warn("ZTP update after the router took its configuration; ignored", "serial", c.day1.Serial, "item", c.item, "key", c.key)
		return
	}
	d, perr := Day1Of(req)
	switch {
	case perr == nil:
		c.day1, c.ready = d, true
	case !waitsForService(req):
		z.finish(c, perr, "")
	}
}

// waitsForService reports whether req's Day-1 configuration lacks only
// what ROM fills as the order's items complete: the VLAN, the subnet, the
// QoS policy or the tier, absent (not wrong).
func waitsForService(req *port.Request) bool {
	r, c, cs := *req, req.Config, req.Characteristics
	if c.VLAN == 0 && cs.Get(CharVLAN) == "" {
		c.VLAN = 1
	}
	if c.Subnet == "" && cs.Get(CharSubnet) == "" {
		c.Subnet = "192.0.2.0/29"
	}
	if c.Profile == "" && cs.Get(CharProfile) == "" {
		c.Profile = "BW-1-1-PENDING"
	}
	if c.Tier == "" && cs.Get(CharTier) == "" {
		c.Tier = "Bronze"
	}
	if c == req.Config {
		return false
	}
	r.Config = c
	_, perr := Day1Of(&r)
	return perr == nil
}

// withHandle is a call's result for a request with handle: the same
// answer, under the request's handle (a repeated request may have
// another).
func withHandle(res *port.Result, handle int) *port.Result {
	if res.Handle == handle {
		return res
	}
	r := *res
	r.Handle = handle
	return &r
}

// wait waits for c's router, or c's deadline, or ctx.
func (z *ZTP) wait(ctx context.Context, c *call, progress func(*port.Result)) *port.Result {
	ctx, cancel := context.WithDeadline(ctx, c.deadline)
	defer cancel()
	calledHome := c.calledHome
	if progress == nil {
		calledHome = nil
	}
	for {
		select {
		case <-calledHome:
			p := *c.base
			p.Final, p.Milestone, p.Resource = false, "delivered", c.resource
			progress(&p)
			calledHome = nil
		case <-c.done:
			return c.res
		case <-ctx.Done():
			z.mu.Lock()
			select {
			case <-c.done:
			default:
				if time.Now().Before(c.deadline) { // the caller gave up, not the call
					serial := c.day1.Serial
					z.mu.Unlock()
					r := *c.base
					r.Err = &port.Error{Class: port.Transient, Code: "cancelled", Message: fmt.Sprintf("waiting for CE router %s: %v", serial, ctx.Err())}
					return &r
				}
				if c.step == waitingForRouter && !called(c) {
					z.finish(c, &port.Error{Class: port.Lost, Code: "neverCalledHome",
						Message: fmt.Sprintf("CE router %s did not call home within %s", c.day1.Serial, z.cfg.Timeout)}, "lost")
				} else {
					z.finish(c, &port.Error{Class: port.Transient, Code: "timeout",
						Message: fmt.Sprintf("CE router %s called home but was not configured within %s", c.day1.Serial, z.cfg.Timeout)}, "")
				}
			}
			z.mu.Unlock()
			return c.res
		}
	}
}

func called(c *call) bool {
	select {
	case <-c.calledHome:
		return true
	default:
		return false
	}
}

// finish ends c with err (nil: configured). Called with z.mu held.
func (z *ZTP) finish(c *call, err *port.Error, milestone string) {
	if z.waiting[c.day1.Serial] == c {
		delete(z.waiting, c.day1.Serial)
	}
	if c.active {
		c.active = false
		z.active--
	}
	res := *c.base
	res.Err = err
	if err == nil {
		res.Milestone, res.Resource = "installed", c.resource
	} else {
		res.Milestone = milestone
	}
	// Logged before the answer goes: whoever waits for it may then close
	// the log.
	log := z.cfg.Log.With("serial", c.day1.Serial, "item", c.item, "key", c.key, "took", time.Since(c.start))
	if err != nil {
		log.Warn("ZTP failed", "class", string(err.Class), "code", err.Code, "err", err.Message)
	} else {
		log.Info("ZTP configured the CE router")
	}
	c.res = &res
	close(c.done)
	if !c.settles {
		c.settled(nil)
	}
}

// Serve runs the PnP server on ln until ctx ends.
func (z *ZTP) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: z, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(z.cfg.Log.Handler(), slog.LevelWarn)}
	stop := context.AfterFunc(ctx, func() { _ = srv.Close() })
	defer stop()
	var err error
	if z.cfg.TLS != nil {
		srv.TLSConfig = z.cfg.TLS.Clone()
		err = srv.ServeTLS(ln, "", "")
	} else {
		err = srv.Serve(ln)
	}
	if ctx.Err() != nil && errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("PnP server: %w", err)
}

// maxBody bounds what a router may send.
const maxBody = 1 << 20

// ServeHTTP takes a router's HELLO, WORK-REQUEST and WORK-RESPONSE.
func (z *ZTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if z.cfg.User != "" {
		user, pass, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(z.cfg.User)) != 1 ||
			subtle.ConstantTimeCompare([]byte(pass), []byte(z.cfg.Password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="pnp"`)
			http.Error(w, "credentials refused", http.StatusUnauthorized)
			return
		}
	}
	switch r.URL.Path {
	case pnp.HelloPath:
		w.WriteHeader(http.StatusOK)
		return
	case pnp.WorkRequestPath, pnp.WorkResponsePath:
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "reading the message: "+err.Error(), http.StatusBadRequest)
		return
	}
	m, err := pnp.Parse(body)
	if err == nil {
		_, err = pnp.ParseUDI(m.UDI)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var out []byte
	var ended *call
	if r.URL.Path == pnp.WorkRequestPath {
		out = z.workRequest(m)
	} else {
		out, ended = z.workResponse(m)
	}
	if ended != nil {
		if err := ended.heard(r.Context()); err != nil {
			z.cfg.Log.Warn("CE router's report not answered: its call's answer is not durable; it calls again",
				"serial", ended.day1.Serial, "item", ended.item, "key", ended.key, "err", err)
			http.Error(w, "the answer to this report is not durable yet: call again", http.StatusServiceUnavailable)
			return
		}
	}
	w.Header().Set("Content-Type", pnp.ContentType)
	_, _ = w.Write(out)
}

// workRequest answers a router asking for work: the next message of its
// call, or a backoff when it has none or must wait its turn.
func (z *ZTP) workRequest(m *pnp.Message) []byte {
	udi, _ := pnp.ParseUDI(m.UDI)
	z.mu.Lock()
	defer z.mu.Unlock()
	c := z.waiting[udi.SN]
	if c == nil {
		return z.backoff(m.UDI)
	}
	if !called(c) {
		close(c.calledHome)
		z.cfg.Log.Info("CE router called home", "serial", udi.SN, "udi", m.UDI, "item", c.item)
	}
	if !c.ready {
		z.cfg.Log.Info("CE router called home before its configuration is complete; told to call again", "serial", udi.SN, "item", c.item)
		return z.backoff(m.UDI)
	}
	if want := pnp.Platforms[c.day1.Model].PID; udi.PID != want {
		z.finish(c, &port.Error{Class: port.Hard, Code: "wrongRouter",
			Message: fmt.Sprintf("CE router %s called home as %s: a %s (%s) was expected", udi.SN, udi.PID, c.day1.Model, want)}, "")
		return z.backoff(m.UDI)
	}
	c.udi = m.UDI
	msgs, perr := messages(c.key, c.day1, c.udi)
	if perr != nil {
		z.finish(c, perr, "")
		return z.backoff(m.UDI)
	}
	switch c.step {
	case waitingForRouter, askedDeviceInfo:
		if !c.active {
			if z.active >= z.cfg.Concurrency {
				return z.backoff(m.UDI)
			}
			z.active++
			c.active = true
		}
		c.step = askedDeviceInfo
		return []byte(msgs[0].Body)
	case knowsDevice, sentCheck: // sentCheck: a router that restarted asks again
		c.step = sentCheck
		return []byte(msgs[2].Body)
	default: // checked, sentConfig
		c.step = sentConfig
		return []byte(msgs[4].Body)
	}
}

// heard waits until the router may hear c's end (call.told), or ctx
// ends.
func (c *call) heard(ctx context.Context) error {
	select {
	case <-c.told:
		return c.untold
	case <-ctx.Done():
		return ctx.Err()
	}
}

// workResponse takes a router's report on its work and says bye, or
// sends the next message of its call; ended is the call the report
// ended, whose end the router hears once it is durable (call.told).
func (z *ZTP) workResponse(m *pnp.Message) (out []byte, ended *call) {
	udi, _ := pnp.ParseUDI(m.UDI)
	resp := m.Response
	if resp == nil {
		return pnp.Bye(m.UDI, "").Marshal(), nil
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	c := z.waiting[udi.SN]
	finish := func(err *port.Error) {
		z.finish(c, err, "")
		ended = c
	}
	switch {
	case c == nil:
		// A report for a call that has ended (its deadline passed): bye.
	case resp.Correlator == c.key+"-1" && c.step == askedDeviceInfo:
		if resp.Success != 1 {
			finish(&port.Error{Class: port.Transient, Code: "deviceInfoFailed",
				Message: fmt.Sprintf("CE router %s could not describe itself: %s", udi.SN, why(resp))})
			break
		}
		if hw := resp.HardwareInfo; hw != nil && hw.BoardID != "" && hw.BoardID != udi.SN {
			finish(&port.Error{Class: port.Hard, Code: "wrongRouter",
				Message: fmt.Sprintf("CE router calling home as %s says its board is %s", udi.SN, hw.BoardID)})
			break
		}
		c.step = knowsDevice
		msgs, _ := messages(c.key, c.day1, c.udi)
		return []byte(msgs[1].Body), nil
	case resp.Correlator == c.key+"-2" && c.step == sentCheck:
		msgs, _ := messages(c.key, c.day1, c.udi)
		switch {
		case resp.Success != 1:
			finish(&port.Error{Class: port.Transient, Code: "checkFailed",
				Message: fmt.Sprintf("CE router %s could not show its configuration: %s", udi.SN, why(resp))})
		case holds(resp.Output, c.day1.Marker()):
			// This call configured the router before (the answer was lost
			// in a crash): it is not configured again.
			finish(nil)
		default:
			c.step = checked
		}
		return []byte(msgs[3].Body), ended
	case resp.Correlator == c.key+"-3" && c.step == sentConfig:
		if resp.Success != 1 {
			finish(&port.Error{Class: port.Hard, Code: "configRejected",
				Message: fmt.Sprintf("CE router %s refused its Day-1 configuration: %s", udi.SN, why(resp))})
		} else {
			finish(nil)
		}
		msgs, _ := messages(c.key, c.day1, c.udi)
		return []byte(msgs[5].Body), ended
	}
	return pnp.Bye(m.UDI, resp.Correlator).Marshal(), ended
}

// holds reports whether a show command's output has the line.
func holds(output, line string) bool {
	for _, l := range strings.Split(output, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}

// why is what a failed report says went wrong: its error, or the first
// line it refused.
func why(r *pnp.Response) string {
	for _, e := range r.Results {
		if e.Failure != nil {
			return fmt.Sprintf("line %d %q: %s", e.LineNumber, e.CLIString, e.Failure.Message)
		}
	}
	if r.ErrorInfo != nil {
		return r.ErrorInfo.Message
	}
	return "no reason given"
}

// backoff tells a router to call again later.
func (z *ZTP) backoff(udi string) []byte {
	b := &pnp.BackoffFor{}
	if d := z.cfg.Backoff; d%time.Minute == 0 {
		b.Minutes = int(d / time.Minute)
	} else {
		b.Seconds = max(1, int(d/time.Second))
	}
	return pnp.Work(udi, &pnp.Request{Xmlns: pnp.Backoff, Correlator: "backoff", Backoff: b}).Marshal()
}

package netconf

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/ordertwin/ordertwin/core/netconf"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Config configures the access adapter.
type Config struct {
	// Devices maps a device's name to its NETCONF endpoint: each OLT
	// (OLT-SOUTH-03, as port requests name it), and each exchange whose
	// switch gives P2P Ethernet handoffs (EX-SYD-01).
	Devices map[string]Endpoint
	// Areas and Addresses, if set, make the adapter allocate: a reserve
	// that names no port takes the first free one on its site's area's
	// devices, read from their running configuration (Addresses gives a
	// site address's serving area). Without them a reserve must name its
	// port, picked by whoever answers reserves (docs/adapters.md).
	Areas     map[string]Area
	Addresses map[string]string
	// Timeout bounds one call, from dialling to unlocking (30s if zero):
	// past it the call fails as transient.
	Timeout time.Duration
	// ConfirmTimeout is the confirmed commit's confirm-timeout (60s if
	// zero): an OLT that hears nothing more rolls the edit back by itself.
	ConfirmTimeout time.Duration
	// Concurrency bounds the calls in flight (4 if zero); the calls to
	// one OLT take turns.
	Concurrency int
	// Uplink is the OLT's network-side interface (uplink-1 if empty).
	Uplink string
	// NoValidate leaves the <validate> of the candidate out of each
	// transaction: the commit validates the candidate anyway. For servers
	// that forget the candidate's changes at a validate, as yuma123's
	// netconfd 2.13 does (its commit then applies nothing, and the
	// read-back fails the call as readBack).
	NoValidate bool
	Log        *slog.Logger
}

// Access is the access network adapter: it reserves, commits and releases
// OLT ports by configuring the OLT over NETCONF (TR-385 models). A reserve
// creates the ONT's v-ANI on the PON port, disabled; a commit enables it
// for the ONT's serial and adds the T-CONT, GEM port, VLAN sub-interfaces
// and forwarder; a release removes all of it. Each call is one transaction
// on the candidate: lock, edit, validate, confirmed commit, read back,
// confirming commit, unlock.
type Access struct {
	cfg   Config
	slots chan struct{}
	// turns lets the calls to one OLT take turns: its candidate has one
	// lock, and a call of ours should not be denied it by another.
	turns map[string]chan struct{}
	// Marker marks what the adapter allocates with the store the calls
	// come from (port.Owner).
	port.Marker
}

// New checks cfg and makes the adapter.
func New(cfg Config) (*Access, error) {
	if len(cfg.Devices) == 0 {
		return nil, errors.New("access adapter: no OLT endpoints")
	}
	for name, ep := range cfg.Devices {
		if ep.Addr == "" || ep.User == "" || ep.HostKey == nil {
			return nil, fmt.Errorf("access adapter: device %s needs an address, a user and the server's host key", name)
		}
	}
	for name, area := range cfg.Areas {
		for _, d := range append(slices.Clip(area.OLTs), area.Exchange) {
			if _, ok := cfg.Devices[d]; d != "" && !ok {
				return nil, fmt.Errorf("access adapter: area %s names %s, which has no endpoint", name, d)
			}
		}
	}
	for addr, area := range cfg.Addresses {
		if _, ok := cfg.Areas[area]; !ok {
			return nil, fmt.Errorf("access adapter: address %q is in area %s, which is not among the areas", addr, area)
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.ConfirmTimeout <= 0 {
		cfg.ConfirmTimeout = time.Minute
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	a := &Access{cfg: cfg, slots: make(chan struct{}, cfg.Concurrency), turns: map[string]chan struct{}{}}
	for name := range cfg.Devices {
		a.turns[name] = make(chan struct{}, 1)
	}
	return a, nil
}

// Plan renders the edit req would send, without sending anything: the
// same bytes Do sends. A reserve the adapter allocates itself has no edit
// before it has read its devices: Plan renders it for the port req names.
func (a *Access) Plan(req *port.Request) (*Edit, *port.Error) {
	if req.System != port.Access {
		return nil, &port.Error{Class: port.Invalid, Code: "wrongSystem", Message: fmt.Sprintf("the access adapter got a call for %q", req.System)}
	}
	switch rt := resourceType(req); rt {
	case "OLTPort":
		s, perr := ServiceOf(req, a.cfg.Uplink)
		if perr != nil {
			return nil, a.unallocated(req, perr)
		}
		s.Item = a.Mark(req.Item)
		return rendered(Render(req.Op, s))
	case "P2PHandoff":
		h, perr := handoffOf(req)
		if perr != nil {
			return nil, a.unallocated(req, perr)
		}
		h.Item = a.Mark(req.Item)
		return rendered(RenderHandoff(req.Op, h))
	default:
		return nil, &port.Error{Class: port.Invalid, Code: "unknownResourceType", Message: fmt.Sprintf("the NETCONF access adapter configures OLT ports and P2P handoffs, not %q", rt)}
	}
}

// unallocated adds to the error of a reserve that names no port, which
// the adapter does not allocate, how it would.
func (a *Access) unallocated(req *port.Request, perr *port.Error) *port.Error {
	if req.Op != port.Reserve || req.Resource != nil || len(a.cfg.Areas) > 0 {
		return perr
	}
	e := *perr
	e.Message += ": the adapter picks a free port itself when its entry's settings give areas and addresses"
	return &e
}

// planFor is req's edit and the endpoint of its device.
func (a *Access) planFor(req *port.Request) (*Edit, Endpoint, *port.Error) {
	e, perr := a.Plan(req)
	if perr != nil {
		return nil, Endpoint{}, perr
	}
	ep, ok := a.cfg.Devices[e.Device]
	if !ok {
		return nil, Endpoint{}, &port.Error{Class: port.Invalid, Code: "unknownOLT", Message: fmt.Sprintf("no NETCONF endpoint for %s", e.Device)}
	}
	return e, ep, nil
}

// transaction is one transaction on a device's candidate: the edit is
// chosen once the candidate is locked (an allocation reads the device
// first).
type transaction struct {
	device string
	edit   func(ctx context.Context, s *Session) (*Edit, error)
}

// transactions are what req takes, tried in order until one is done: the
// devices an allocation may take a port on, or the one edit of any other
// call.
func (a *Access) transactions(req *port.Request) ([]transaction, *port.Error) {
	if a.allocates(req) {
		return a.allocations(req)
	}
	e, _, perr := a.planFor(req)
	if perr != nil {
		return nil, perr
	}
	return []transaction{{device: e.Device, edit: func(ctx context.Context, s *Session) (*Edit, error) {
		if e.Handoff != nil && e.Op == port.Reserve {
			return e, handoffFree(ctx, s, e)
		}
		return e, nil
	}}}, nil
}

// The datastore a call edits, and the one its read-back reads.
const (
	datastore = "candidate"
	readBack  = "running"
)

// DryRun lists the rpcs req's transaction sends to its OLT, in order, when
// every step succeeds, without sending anything (port.DryRunner): lock,
// edit-config, validate (unless Config.NoValidate), confirmed commit, the read-back's get-config,
// confirming commit, unlock. Each Body is the rpc's operation element
// exactly as Do writes it inside <rpc> (whose message-id each session
// numbers); the hello and close-session of the session are not listed.
func (a *Access) DryRun(req *port.Request) ([]port.Sent, *port.Error) {
	e, ep, perr := a.planFor(req)
	if perr != nil {
		return nil, perr
	}
	type op struct {
		name string
		body []byte
	}
	ops := []op{{"lock", lockOp(datastore)}}
	if req.Op == port.Reserve && (e.Handoff != nil || len(a.cfg.Areas) > 0) {
		// The port is read first: to pick it, or to see that it is free.
		ops = append(ops, op{"get-config", getConfigOp(readBack, []byte(interfacesFilter))})
	}
	ops = append(ops, op{"edit-config", editConfig(datastore, e.Config)})
	if !a.cfg.NoValidate {
		ops = append(ops, op{"validate", validateOp(datastore)})
	}
	ops = append(ops, op{"commit", commitOp(true, a.cfg.ConfirmTimeout)}, op{"get-config", getConfigOp(readBack, e.Filter)},
		op{"commit", commitOp(false, 0)}, op{"unlock", unlockOp(datastore)})
	sent := make([]port.Sent, len(ops))
	for i, op := range ops {
		sent[i] = port.Sent{Protocol: "netconf", To: ep.Addr, Op: op.name, Body: string(op.body)}
	}
	return sent, nil
}

var _ port.DryRunner = (*Access)(nil)

// Allocates says whether the adapter picks the port of req, a reserve
// that names none (port.Allocator): with serving areas in its settings.
// Without them such a reserve fails, needing its port named.
func (a *Access) Allocates(req *port.Request) bool { return a.allocates(req) }

func resourceType(req *port.Request) string {
	if req.Resource != nil {
		return req.Resource.ResourceType
	}
	return req.ResourceType
}

// Call starts req and returns at once; the final Result comes through
// reply from another goroutine, so reply must take answers from any
// goroutine (the engine's inbox). Its time is now: an adapter that does
// real IO does not know the engine's clock, and the inbox stamps the
// answer when it arrives.
func (a *Access) Call(now time.Duration, req *port.Request, reply port.Replier) {
	r := *req // the caller reuses req
	go func() { reply.Reply(now, a.Do(context.Background(), &r)) }()
}

// Do carries out req within the adapter's timeout and returns the final
// Result.
func (a *Access) Do(ctx context.Context, req *port.Request) *port.Result {
	res := &port.Result{Key: req.Key, System: req.System, Op: req.Op, Item: req.Item, Handle: req.Handle, Final: true}
	ts, perr := a.transactions(req)
	if perr != nil {
		res.Err = perr
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	select {
	case a.slots <- struct{}{}:
		defer func() { <-a.slots }()
	case <-ctx.Done():
		res.Err = Classify(fmt.Errorf("waiting for a turn: %w", ctx.Err()))
		return res
	}
	for _, t := range ts {
		start := time.Now()
		e, err := a.transact(ctx, req, t)
		if errors.Is(err, errFull) {
			continue
		}
		log := a.cfg.Log.With("device", t.device, "op", string(req.Op), "item", req.Item, "key", req.Key, "took", time.Since(start))
		if err != nil {
			res.Err = Classify(err)
			log.Warn("NETCONF edit failed", "class", string(res.Err.Class), "err", err)
			return res
		}
		log.Info("NETCONF edit applied")
		res.Resource = resourceOf(req, e)
		return res
	}
	res.Err = exhausted(req)
	devices := make([]string, len(ts))
	for i, t := range ts {
		devices[i] = t.device
	}
	a.cfg.Log.Warn("NETCONF allocation found no free port", "devices", devices, "op", string(req.Op), "item", req.Item, "key", req.Key,
		"class", string(res.Err.Class))
	return res
}

// transact runs t on its device, taking its turn there.
func (a *Access) transact(ctx context.Context, req *port.Request, t transaction) (*Edit, error) {
	ep, ok := a.cfg.Devices[t.device]
	if !ok {
		return nil, &port.Error{Class: port.Invalid, Code: "unknownOLT", Message: fmt.Sprintf("no NETCONF endpoint for %s", t.device)}
	}
	turn := a.turns[t.device]
	select {
	case turn <- struct{}{}:
		defer func() { <-turn }()
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for a turn on %s: %w", t.device, ctx.Err())
	}
	return a.apply(ctx, ep, req, t)
}

// apply is one transaction on the candidate.
func (a *Access) apply(ctx context.Context, ep Endpoint, req *port.Request, t transaction) (e *Edit, err error) {
	s, err := Dial(ctx, ep)
	if err != nil {
		return nil, err
	}
	// Clean-up runs on its own short deadline, so that a call that
	// failed still unlocks and closes. A call that ran out of time drops
	// the connection instead: its session may wait on an answer, and the
	// OLT releases the lock, discards the candidate and rolls back an
	// unconfirmed commit when a session ends (RFC 6241 §7.5, §8.4.1).
	cleanup := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	}
	defer func() {
		if ctx.Err() != nil {
			s.Abort()
			return
		}
		c, cancel := cleanup()
		defer cancel()
		_ = s.Close(c)
	}()
	if err := s.Lock(ctx, datastore); err != nil {
		return nil, fmt.Errorf("lock the candidate of %s: %w", t.device, err)
	}
	committed := false
	defer func() {
		if ctx.Err() != nil {
			return
		}
		c, cancel := cleanup()
		defer cancel()
		if !committed {
			_ = s.DiscardChanges(c)
		}
		if uerr := s.Unlock(c, datastore); uerr != nil && err == nil {
			err = fmt.Errorf("unlock the candidate of %s: %w", t.device, uerr)
		}
	}()
	if e, err = t.edit(ctx, s); err != nil {
		return nil, err
	}
	if err := s.EditConfig(ctx, datastore, e.Config); err != nil {
		var ne *netconf.Error
		if req.Op == port.Reserve && e.Handoff == nil && errors.As(err, &ne) && ne.Tag == netconf.DataExists {
			return e, a.ownedAlready(ctx, s, e, err)
		}
		return nil, fmt.Errorf("edit the candidate of %s: %w", e.Device, err)
	}
	if !a.cfg.NoValidate {
		if err := s.Validate(ctx, datastore); err != nil {
			return nil, fmt.Errorf("validate the candidate of %s: %w", e.Device, err)
		}
	}
	if err := s.Commit(ctx, true, a.cfg.ConfirmTimeout); err != nil {
		return nil, fmt.Errorf("confirmed commit on %s: %w", e.Device, err)
	}
	if err := a.verify(ctx, s, e); err != nil {
		// Not confirmed: the OLT rolls back, at once, or when the session
		// ends, or at the latest when the confirm timeout ends.
		if ctx.Err() == nil {
			c, cancel := cleanup()
			defer cancel()
			_ = s.CancelCommit(c)
		}
		return nil, err
	}
	if err := s.Commit(ctx, false, 0); err != nil {
		return nil, fmt.Errorf("confirming commit on %s: %w", e.Device, err)
	}
	committed = true
	return e, nil
}

// verify reads the running configuration back: after a reserve or commit
// it holds everything the edit set, after a release no v-ANI of the port.
func (a *Access) verify(ctx context.Context, s *Session, e *Edit) error {
	data, err := s.GetConfig(ctx, readBack, e.Filter)
	if err != nil {
		return fmt.Errorf("read back %s: %w", e.Device, err)
	}
	have, err := netconf.ParseTree(data)
	if err != nil {
		return &port.Error{Class: port.Hard, Code: "readBack", Message: fmt.Sprintf("read back %s: %v", e.Device, err)}
	}
	if e.Op == port.Release {
		gone, what := vaniOf(e.Service), e.Service.VANI()
		if h := e.Handoff; h != nil {
			gone, what = described(h.Interface(), h.Item), h.Interface()+" for "+h.Item
		}
		if netconf.Missing(have, gone) == "" {
			return &port.Error{Class: port.Hard, Code: "readBack", Message: fmt.Sprintf("%s still holds %s after its release", e.Device, what)}
		}
		return nil
	}
	want, err := configOf(e.Config)
	if err != nil {
		return err
	}
	if m := netconf.Missing(have, want); m != "" {
		return &port.Error{Class: port.Hard, Code: "readBack", Message: fmt.Sprintf("%s does not hold what was committed: %s", e.Device, m)}
	}
	return nil
}

// ownedAlready settles a reserve whose v-ANI exists: if this item made it
// (its description says so) the reserve was done before and is done now;
// otherwise the port is someone else's and the edit's error stands.
func (a *Access) ownedAlready(ctx context.Context, s *Session, e *Edit, editErr error) error {
	data, err := s.GetConfig(ctx, "running", e.Filter)
	if err != nil {
		return fmt.Errorf("read %s after data-exists: %w", e.Device, err)
	}
	have, err := netconf.ParseTree(data)
	if err != nil {
		return fmt.Errorf("read %s after data-exists: %w", e.Device, err)
	}
	mine := vaniOf(e.Service)
	mine[0].Children[0].Children = append(mine[0].Children[0].Children, &netconf.Node{Name: nameIn(ifNS, "description"), Text: e.Service.Item})
	if netconf.Missing(have, mine) == "" {
		return nil
	}
	return fmt.Errorf("port %s is in use: %w", e.Service.ResourceID(), editErr)
}

const ifNS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"

// vaniOf is the tree naming a service's v-ANI.
func vaniOf(s Service) []*netconf.Node {
	return []*netconf.Node{{Name: nameIn(ifNS, "interfaces"), Children: []*netconf.Node{
		{Name: nameIn(ifNS, "interface"), Children: []*netconf.Node{{Name: nameIn(ifNS, "name"), Text: s.VANI()}}},
	}}}
}

// configOf is the content of an edit's <config>.
func configOf(cfg []byte) ([]*netconf.Node, error) {
	top, err := netconf.ParseTree(cfg)
	if err != nil || len(top) != 1 || top[0].Name.Local != "config" {
		return nil, fmt.Errorf("a rendered edit is not one <config>: %v", err)
	}
	return top[0].Children, nil
}

// resourceOf is the OLT port or P2P handoff a call answers with.
func resourceOf(req *port.Request, e *Edit) *tmf.Resource {
	if e.Handoff != nil {
		return handoffResource(req, *e.Handoff)
	}
	s := e.Service
	r := &tmf.Resource{ID: s.ResourceID(), Category: "physical", ResourceType: "OLTPort",
		Value: fmt.Sprintf("%s LC%d Port %d", s.OLT, s.Slot, s.Port), Place: req.Place,
		Characteristics: tmf.Characteristics{{Name: CharOLT, Value: s.OLT}, {Name: CharLineCard, Value: strconv.Itoa(s.Slot)},
			{Name: CharPort, Value: strconv.Itoa(s.Port)}}}
	r.State = stateAfter(req.Op)
	if req.Op == port.Commit {
		r.Characteristics = append(r.Characteristics, tmf.Characteristic{Name: CharSerial, Value: s.Serial},
			tmf.Characteristic{Name: CharVLAN, Value: strconv.Itoa(s.VLAN)}, tmf.Characteristic{Name: CharProfile, Value: s.Profile})
	}
	return r
}

package netconf

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/ordertwin/ordertwin/core/netconf"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Config configures the access adapter.
type Config struct {
	// OLTs maps an OLT's name (OLT-SOUTH-03, as port requests name it)
	// to its NETCONF endpoint.
	OLTs map[string]Endpoint
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
}

// New checks cfg and makes the adapter.
func New(cfg Config) (*Access, error) {
	if len(cfg.OLTs) == 0 {
		return nil, errors.New("access adapter: no OLT endpoints")
	}
	for name, ep := range cfg.OLTs {
		if ep.Addr == "" || ep.User == "" || ep.HostKey == nil {
			return nil, fmt.Errorf("access adapter: OLT %s needs an address, a user and the server's host key", name)
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
	for name := range cfg.OLTs {
		a.turns[name] = make(chan struct{}, 1)
	}
	return a, nil
}

// Plan renders the edit req would send, without sending anything: the
// same bytes Do sends.
func (a *Access) Plan(req *port.Request) (*Edit, *port.Error) {
	if req.System != port.Access {
		return nil, &port.Error{Class: port.Invalid, Code: "wrongSystem", Message: fmt.Sprintf("the access adapter got a call for %q", req.System)}
	}
	if rt := resourceType(req); rt != "OLTPort" {
		return nil, &port.Error{Class: port.Invalid, Code: "unknownResourceType", Message: fmt.Sprintf("the NETCONF access adapter configures OLT ports, not %q", rt)}
	}
	s, perr := ServiceOf(req, a.cfg.Uplink)
	if perr != nil {
		return nil, perr
	}
	e, err := Render(req.Op, s)
	if err != nil {
		return nil, &port.Error{Class: port.Invalid, Code: "badRequest", Message: err.Error()}
	}
	return e, nil
}

// planFor is req's edit and the endpoint of its OLT.
func (a *Access) planFor(req *port.Request) (*Edit, Endpoint, *port.Error) {
	e, perr := a.Plan(req)
	if perr != nil {
		return nil, Endpoint{}, perr
	}
	ep, ok := a.cfg.OLTs[e.OLT]
	if !ok {
		return nil, Endpoint{}, &port.Error{Class: port.Invalid, Code: "unknownOLT", Message: fmt.Sprintf("no NETCONF endpoint for OLT %s", e.OLT)}
	}
	return e, ep, nil
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
	ops := []op{{"lock", lockOp(datastore)}, {"edit-config", editConfig(datastore, e.Config)}}
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

// Do carries out req on its OLT within the adapter's timeout and returns
// the final Result.
func (a *Access) Do(ctx context.Context, req *port.Request) *port.Result {
	res := &port.Result{Key: req.Key, System: req.System, Op: req.Op, Item: req.Item, Handle: req.Handle, Final: true}
	e, ep, perr := a.planFor(req)
	if perr != nil {
		res.Err = perr
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	for _, sem := range []chan struct{}{a.slots, a.turns[e.OLT]} {
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
		case <-ctx.Done():
			res.Err = Classify(fmt.Errorf("waiting for a turn on %s: %w", e.OLT, ctx.Err()))
			return res
		}
	}
	start := time.Now()
	err := a.apply(ctx, ep, req, e)
	log := a.cfg.Log.With("olt", e.OLT, "op", string(req.Op), "item", req.Item, "key", req.Key, "took", time.Since(start))
	if err != nil {
		res.Err = Classify(err)
		log.Warn("NETCONF edit failed", "class", string(res.Err.Class), "err", err)
		return res
	}
	log.Info("NETCONF edit applied")
	res.Resource = resourceOf(req, e.Service)
	return res
}

// apply is one transaction on the candidate.
func (a *Access) apply(ctx context.Context, ep Endpoint, req *port.Request, e *Edit) (err error) {
	s, err := Dial(ctx, ep)
	if err != nil {
		return err
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
		return fmt.Errorf("lock the candidate of %s: %w", e.OLT, err)
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
			err = fmt.Errorf("unlock the candidate of %s: %w", e.OLT, uerr)
		}
	}()
	if err := s.EditConfig(ctx, datastore, e.Config); err != nil {
		var ne *netconf.Error
		if req.Op == port.Reserve && errors.As(err, &ne) && ne.Tag == netconf.DataExists {
			return a.ownedAlready(ctx, s, e, err)
		}
		return fmt.Errorf("edit the candidate of %s: %w", e.OLT, err)
	}
	if !a.cfg.NoValidate {
		if err := s.Validate(ctx, datastore); err != nil {
			return fmt.Errorf("validate the candidate of %s: %w", e.OLT, err)
		}
	}
	if err := s.Commit(ctx, true, a.cfg.ConfirmTimeout); err != nil {
		return fmt.Errorf("confirmed commit on %s: %w", e.OLT, err)
	}
	if err := a.verify(ctx, s, e); err != nil {
		// Not confirmed: the OLT rolls back, at once, or when the session
		// ends, or at the latest when the confirm timeout ends.
		if ctx.Err() == nil {
			c, cancel := cleanup()
			defer cancel()
			_ = s.CancelCommit(c)
		}
		return err
	}
	if err := s.Commit(ctx, false, 0); err != nil {
		return fmt.Errorf("confirming commit on %s: %w", e.OLT, err)
	}
	committed = true
	return nil
}

// verify reads the running configuration back: after a reserve or commit
// it holds everything the edit set, after a release no v-ANI of the port.
func (a *Access) verify(ctx context.Context, s *Session, e *Edit) error {
	data, err := s.GetConfig(ctx, readBack, e.Filter)
	if err != nil {
		return fmt.Errorf("read back %s: %w", e.OLT, err)
	}
	have, err := netconf.ParseTree(data)
	if err != nil {
		return &port.Error{Class: port.Hard, Code: "readBack", Message: fmt.Sprintf("read back %s: %v", e.OLT, err)}
	}
	if e.Op == port.Release {
		if netconf.Missing(have, vaniOf(e.Service)) == "" {
			return &port.Error{Class: port.Hard, Code: "readBack", Message: fmt.Sprintf("%s still holds %s after its release", e.OLT, e.Service.VANI())}
		}
		return nil
	}
	want, err := configOf(e.Config)
	if err != nil {
		return err
	}
	if m := netconf.Missing(have, want); m != "" {
		return &port.Error{Class: port.Hard, Code: "readBack", Message: fmt.Sprintf("%s does not hold what was committed: %s", e.OLT, m)}
	}
	return nil
}

// ownedAlready settles a reserve whose v-ANI exists: if this item made it
// (its description says so) the reserve was done before and is done now;
// otherwise the port is someone else's and the edit's error stands.
func (a *Access) ownedAlready(ctx context.Context, s *Session, e *Edit, editErr error) error {
	data, err := s.GetConfig(ctx, "running", e.Filter)
	if err != nil {
		return fmt.Errorf("read %s after data-exists: %w", e.OLT, err)
	}
	have, err := netconf.ParseTree(data)
	if err != nil {
		return fmt.Errorf("read %s after data-exists: %w", e.OLT, err)
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

// resourceOf is the OLT port a call answers with.
func resourceOf(req *port.Request, s Service) *tmf.Resource {
	r := &tmf.Resource{ID: s.ResourceID(), Category: "physical", ResourceType: "OLTPort",
		Value: fmt.Sprintf("%s LC%d Port %d", s.OLT, s.Slot, s.Port), Place: req.Place,
		Characteristics: tmf.Characteristics{{Name: CharOLT, Value: s.OLT}, {Name: CharLineCard, Value: strconv.Itoa(s.Slot)},
			{Name: CharPort, Value: strconv.Itoa(s.Port)}}}
	switch req.Op {
	case port.Reserve:
		r.State = "reserved"
	case port.Commit:
		r.State = "available"
		r.Characteristics = append(r.Characteristics, tmf.Characteristic{Name: CharSerial, Value: s.Serial},
			tmf.Characteristic{Name: CharVLAN, Value: strconv.Itoa(s.VLAN)}, tmf.Characteristic{Name: CharProfile, Value: s.Profile})
	case port.Release:
		r.State = "released"
	}
	return r
}

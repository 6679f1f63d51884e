// Package radius is the BNG adapter: it applies an enterprise subscriber's
// QoS policy and access VLAN on the BNG, and ends the subscriber's session,
// by RADIUS dynamic authorization (RFC 5176): CoA-Request and
// Disconnect-Request, with a Message-Authenticator, to the BNG's Dynamic
// Authorization Server. The policies are set with Cisco's AV pairs
// (subscriber:sub-qos-policy-in= and -out=, in the Cisco-AVPair
// vendor-specific attribute); core/radius holds the dictionary.
package radius

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"layeh.com/radius"

	"github.com/ordertwin/ordertwin/core/port"
	rad "github.com/ordertwin/ordertwin/core/radius"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Config configures the BNG adapter. An adapters file gives it by its
// radius entry: the endpoints, the credential, timeout and concurrency of
// the entry, and settings sites, templates and retry (docs/adapters.md).
type Config struct {
	// BNGs maps a BNG's name (its NAS-Identifier, BNG-MEL-01) to the
	// address of its Dynamic Authorization Server (host:port; RFC 5176's
	// port is 3799). Several may share one address (a CoA proxy that
	// routes by NAS-Identifier).
	BNGs map[string]string
	// Sites maps a site's street address to the BNG that serves it, for
	// requests that name no BNG. With one BNG it may be left out.
	Sites map[string]string
	// Templates are the QoS policies the BNGs hold: a reserve picks the
	// one for the item's speed and SLA tier.
	Templates []Template
	// SecretFile or SecretEnv (exactly one) holds the RADIUS shared secret:
	// a file whose content (less a final newline) is the secret, or the
	// name of an environment variable. The secret is never logged.
	SecretFile string
	SecretEnv  string
	// Timeout bounds one call (10s if zero): a request not answered by
	// then fails as transient.
	Timeout time.Duration
	// Retry is how long to wait for an answer before sending the request
	// again, with the same Identifier (2s if zero).
	Retry time.Duration
	// Concurrency bounds the calls in flight (8 if zero).
	Concurrency int
	Log         *slog.Logger
}

// Template is a QoS policy the BNGs hold, for a speed and an SLA tier.
type Template struct {
	Name      string `yaml:"name"`
	SpeedMbps int    `yaml:"speedMbps"`
	Tier      string `yaml:"tier"`
}

// Characteristics a call reads.
const (
	CharBNG        = "bng"
	CharCIR        = "cir"
	CharSubscriber = "subscriber"
	CharQoSPolicy  = "qosPolicy"
	CharSpeed      = "speed"
	CharSLATier    = "slaTier"
	CharVLAN       = "vlanId"
)

// Cisco AV pairs that set a subscriber's QoS policies.
const (
	policyIn  = "subscriber:sub-qos-policy-in="
	policyOut = "subscriber:sub-qos-policy-out="
)

// BNG is the BNG adapter. A reserve of a QoS policy picks the template and
// sends nothing (a policy instance holds nothing on the BNG); a commit of
// the policy sends a CoA-Request setting the subscriber's policies in both
// directions; a commit of the VLAN sends a CoA-Request binding the
// subscriber to its access VLAN (NAS-Port-Id); a release of the policy
// sends a Disconnect-Request, which ends the subscriber's session.
type BNG struct {
	cfg    Config
	secret []byte
	slots  chan struct{}
	ids    atomic.Uint32

	mu sync.Mutex
	// done is the latest answer of each item, by key: a repeated key
	// gets it again; flying, the calls under way, by key.
	done   map[string]answered
	flying map[string]chan struct{}
}

type answered struct {
	key string
	res *port.Result
}

// New checks cfg, reads the shared secret and makes the adapter.
func New(cfg Config) (*BNG, error) {
	if len(cfg.BNGs) == 0 {
		return nil, errors.New("BNG adapter: no BNG endpoints")
	}
	for name, addr := range cfg.BNGs {
		if name == "" || addr == "" {
			return nil, fmt.Errorf("BNG adapter: BNG %q needs a name and an address", name)
		}
	}
	for addr, name := range cfg.Sites {
		if _, ok := cfg.BNGs[name]; !ok {
			return nil, fmt.Errorf("BNG adapter: site %q is served by %q, which has no endpoint", addr, name)
		}
	}
	for _, t := range cfg.Templates {
		if t.Name == "" || t.SpeedMbps <= 0 || t.Tier == "" {
			return nil, fmt.Errorf("BNG adapter: QoS template %q needs a name, a speed and a tier", t.Name)
		}
	}
	secret, err := readSecret(cfg.SecretFile, cfg.SecretEnv)
	if err != nil {
		return nil, fmt.Errorf("BNG adapter: %w", err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Retry <= 0 {
		cfg.Retry = 2 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &BNG{cfg: cfg, secret: secret, slots: make(chan struct{}, cfg.Concurrency),
		done: map[string]answered{}, flying: map[string]chan struct{}{}}, nil
}

// readSecret reads the shared secret from a file or an environment
// variable. Errors name where it was looked for, never what was found.
func readSecret(file, env string) ([]byte, error) {
	var s string
	switch {
	case file != "" && env != "":
		return nil, errors.New("the shared secret comes from a file or an environment variable, not both")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read the shared secret: %w", err)
		}
		s = strings.TrimRight(string(b), "\r\n")
	case env != "":
		s = os.Getenv(env)
		if s == "" {
			return nil, fmt.Errorf("the shared secret's environment variable %s is empty or unset", env)
		}
	default:
		return nil, errors.New("no shared secret: set a secret file or an environment variable")
	}
	if s == "" {
		return nil, fmt.Errorf("the shared secret file %s is empty", file)
	}
	return []byte(s), nil
}

// message is one request of a call: its code and attributes, the last the
// Message-Authenticator.
type message struct {
	code  radius.Code
	attrs []rad.Attr
}

// plan is what a call does: the BNG, where it listens, the subscriber,
// the messages in order, and the resource a success answers with.
type plan struct {
	bng, addr, user string
	msgs            []message
	resource        *tmf.Resource
}

// DryRun renders the messages req would send, in order, without sending
// anything: each its attributes as radclient reads them. Do sends exactly
// these attributes.
func (b *BNG) DryRun(req *port.Request) ([]port.Sent, *port.Error) {
	p, perr := b.plan(req)
	if perr != nil {
		return nil, perr
	}
	sent := make([]port.Sent, 0, len(p.msgs))
	for _, m := range p.msgs {
		sent = append(sent, port.Sent{Protocol: "radius", To: p.addr, Op: m.code.String(), Body: rad.Render(m.attrs)})
	}
	return sent, nil
}

func invalid(code, format string, args ...any) *port.Error {
	return &port.Error{Class: port.Invalid, Code: code, Message: fmt.Sprintf(format, args...)}
}

func (b *BNG) plan(req *port.Request) (*plan, *port.Error) {
	if req.System != port.BNG {
		return nil, invalid("wrongSystem", "the BNG adapter got a call for %q", req.System)
	}
	rt := req.ResourceType
	if req.Resource != nil {
		rt = req.Resource.ResourceType
	}
	if req.Op != port.Reserve && req.Resource == nil {
		return nil, invalid("noResource", "%s of a %s without the resource", req.Op, rt)
	}
	p := &plan{}
	var perr *port.Error
	if p.bng, p.addr, perr = b.bngOf(req); perr != nil {
		return nil, perr
	}
	if p.user, perr = subscriberOf(req); perr != nil {
		return nil, perr
	}
	id := []rad.Attr{{Name: rad.NASIdentifier, Value: p.bng}, {Name: rad.UserName, Value: p.user}}
	ma := rad.Attr{Name: rad.MessageAuthenticator}
	switch {
	case req.Op == port.Reserve && rt == "QoSPolicy":
		name, perr := b.template(req.Characteristics)
		if perr != nil {
			return nil, perr
		}
		p.resource = &tmf.Resource{ID: name + "-" + req.Item, ResourceType: rt, State: "reserved", Value: name, Place: req.Place,
			Characteristics: tmf.Characteristics{{Name: CharBNG, Value: p.bng}, {Name: CharCIR, Value: "true"}}}
	case req.Op == port.Commit && rt == "QoSPolicy":
		name := req.Resource.Value
		if name == "" {
			return nil, invalid("noQoSPolicy", "QoS policy %s names no policy", req.Resource.ID)
		}
		p.msgs = []message{{radius.CodeCoARequest, append(id,
			rad.Attr{Name: rad.CiscoAVPair, Value: policyIn + name}, rad.Attr{Name: rad.CiscoAVPair, Value: policyOut + name}, ma)}}
	case req.Op == port.Commit && rt == "VLAN":
		vlan := req.Resource.Characteristics.Get(CharVLAN)
		n, ok := vlanID(vlan)
		if !ok {
			return nil, invalid("badVLAN", "VLAN %s has no %s of 1-4094 (%q)", req.Resource.ID, CharVLAN, vlan)
		}
		p.msgs = []message{{radius.CodeCoARequest, append(id, rad.Attr{Name: rad.NASPortID, Value: fmt.Sprintf("vlan%d", n)}, ma)}}
	case req.Op == port.Release && rt == "QoSPolicy":
		p.msgs = []message{{radius.CodeDisconnectRequest, append(id, ma)}}
	default:
		return nil, invalid("unsupported", "the BNG adapter does not %s a %q", req.Op, rt)
	}
	if req.Op != port.Reserve {
		r := *req.Resource
		r.State = "available"
		p.resource = &r
		if req.Op == port.Release {
			p.resource = nil // as the twin answers a release
		}
	}
	return p, nil
}

func vlanID(s string) (int, bool) {
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || fmt.Sprint(n) != s || n < 1 || n > 4094 {
		return 0, false
	}
	return n, true
}

// bngOf is the BNG a call goes to: named by the resource's or the
// request's characteristics, or the one serving the site's address, or
// the only one configured.
func (b *BNG) bngOf(req *port.Request) (string, string, *port.Error) {
	name := req.Characteristics.Get(CharBNG)
	if req.Resource != nil && req.Resource.Characteristics.Get(CharBNG) != "" {
		name = req.Resource.Characteristics.Get(CharBNG)
	}
	if name == "" {
		name = b.cfg.Sites[req.Place.Address]
	}
	if name == "" && len(b.cfg.BNGs) == 1 {
		for n := range b.cfg.BNGs {
			name = n
		}
	}
	if name == "" {
		return "", "", invalid("noBNG", "no BNG serves %q: name one (%s) or list the site", req.Place.Address, CharBNG)
	}
	addr, ok := b.cfg.BNGs[name]
	if !ok {
		return "", "", invalid("unknownBNG", "no endpoint for BNG %s", name)
	}
	return name, addr, nil
}

// subscriberOf is the subscriber's User-Name: the subscriber
// characteristic, or customer/site (CUST-ENT-1102/MELB).
func subscriberOf(req *port.Request) (string, *port.Error) {
	if s := req.Characteristics.Get(CharSubscriber); s != "" {
		return s, nil
	}
	if req.Resource != nil {
		if s := req.Resource.Characteristics.Get(CharSubscriber); s != "" {
			return s, nil
		}
	}
	if req.Customer == "" || req.Site == "" {
		return "", invalid("noSubscriber", "the call names no subscriber: no %s characteristic, customer or site", CharSubscriber)
	}
	return req.Customer + "/" + req.Site, nil
}

// template picks the QoS policy for the item's speed and SLA tier, or the
// one it names.
func (b *BNG) template(cs tmf.Characteristics) (string, *port.Error) {
	if name := cs.Get(CharQoSPolicy); name != "" {
		return name, nil
	}
	speed, tier := tmf.SpeedMbps(cs.Get(CharSpeed)), cs.Get(CharSLATier)
	for _, t := range b.cfg.Templates {
		if t.SpeedMbps == speed && t.Tier == tier {
			return t.Name, nil
		}
	}
	return "", &port.Error{Class: port.Hard, Code: "noQoSTemplate", Message: fmt.Sprintf("no QoS template for %d Mbps %s", speed, tier)}
}

// Package netbox is the VLAN and IPAM adapter: it reserves, commits and
// releases VLANs and IPv4 subnets in NetBox over its REST API, with a
// small client of its own (net/http). A VLAN is allocated from a VLAN
// group by NetBox's atomic available-vlans, a subnet from a parent prefix
// by available-prefixes; a commit sets the object active; a release
// deletes it. Every allocation carries its order item and idempotency key
// in its description, so a reserve repeated with the same key finds the
// first allocation instead of making another.
package netbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Config configures the adapter.
type Config struct {
	// URL is NetBox's base URL, without /api: https://netbox.example.net.
	URL string
	// TokenFile names a file holding the API token, TokenEnv an
	// environment variable holding it: exactly one. The token is read
	// once, by New, and never logged nor put in an error.
	TokenFile string
	TokenEnv  string
	// VLANGroups maps a site's address (as port requests carry it) to the
	// VLAN group its VLANs come from; VLANGroup is the group of addresses
	// not listed. A request's vlanGroup characteristic names the group
	// itself.
	VLANGroups map[string]string
	VLANGroup  string
	// PrefixLength is the length of the subnets allocated (29 if zero);
	// a request's prefixLength characteristic names its own.
	PrefixLength int
	// Timeout bounds one call, all its requests together (30s if zero):
	// past it the call fails as transient.
	Timeout time.Duration
	// Concurrency bounds the calls in flight (4 if zero).
	Concurrency int
	// Client sends the requests (a client of its own if nil): give one
	// for a private CA or a proxy.
	Client *http.Client
	Log    *slog.Logger
}

// Adapter is the VLAN and IPAM adapter. It takes the calls of the vlan
// and ipam systems for resource types VLAN and IPv4Subnet.
type Adapter struct {
	cfg    Config
	base   string
	token  string
	client *http.Client
	turns  *turns
	// Marker marks what the adapter allocates with the store the calls
	// come from (port.Owner).
	port.Marker
}

// New checks cfg, reads the token and makes the adapter.
func New(cfg Config) (*Adapter, error) {
	if !strings.HasPrefix(cfg.URL, "http://") && !strings.HasPrefix(cfg.URL, "https://") {
		return nil, fmt.Errorf("NetBox adapter: URL %q is not an http:// or https:// URL", cfg.URL)
	}
	token, err := readToken(cfg.TokenFile, cfg.TokenEnv)
	if err != nil {
		return nil, fmt.Errorf("NetBox adapter: %w", err)
	}
	if cfg.PrefixLength == 0 {
		cfg.PrefixLength = 29
	}
	if cfg.PrefixLength < 1 || cfg.PrefixLength > 32 {
		return nil, fmt.Errorf("NetBox adapter: prefix length %d is not an IPv4 prefix length", cfg.PrefixLength)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{}
	}
	return &Adapter{cfg: cfg, base: strings.TrimRight(cfg.URL, "/"), token: token, client: client,
		turns: &turns{free: cfg.Concurrency}}, nil
}

// readToken reads the API token from a file or an environment variable.
// Errors name where it was looked for, never what was found.
func readToken(file, env string) (string, error) {
	switch {
	case file != "" && env != "":
		return "", errors.New("the token comes from a file or an environment variable, not both")
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading the token: %w", err)
		}
		if t := strings.TrimSpace(string(data)); t != "" {
			return t, nil
		}
		return "", fmt.Errorf("token file %s is empty", file)
	case env != "":
		if t := strings.TrimSpace(os.Getenv(env)); t != "" {
			return t, nil
		}
		return "", fmt.Errorf("environment variable %s holds no token", env)
	}
	return "", errors.New("no token: set a token file or an environment variable")
}

// Call starts req and returns at once; the final Result comes through
// reply from another goroutine, so reply must take answers from any
// goroutine (the engine's inbox). Its time is now: the inbox stamps the
// answer when it arrives.
func (a *Adapter) Call(now time.Duration, req *port.Request, reply port.Replier) {
	r := *req // the caller reuses req
	r.Characteristics = slices.Clone(req.Characteristics)
	if req.Resource != nil {
		res := *req.Resource
		res.Characteristics = slices.Clone(req.Resource.Characteristics)
		r.Resource = &res
	}
	// In the order of the calls, each answered before the next starts:
	// NetBox allocates in the order it is asked, and the caller hears in
	// that order.
	turn := a.turns.take()
	go a.do(context.Background(), &r, turn, func(res *port.Result) { reply.Reply(now, res) })
}

// Do carries out req within the adapter's timeout and returns the final
// Result.
func (a *Adapter) Do(ctx context.Context, req *port.Request) *port.Result {
	var res *port.Result
	a.do(ctx, req, a.turns.take(), func(r *port.Result) { res = r })
	return res
}

// do carries out req once its turn comes and tells answer the final
// Result before the turn passes on.
func (a *Adapter) do(ctx context.Context, req *port.Request, turn <-chan struct{}, answer func(*port.Result)) {
	res, held := a.carry(ctx, req, turn)
	answer(res)
	if held {
		a.turns.give()
	}
}

// carry carries out req once its turn comes (held: it came); a call that
// gives up waiting passes the turn on when it comes.
func (a *Adapter) carry(ctx context.Context, req *port.Request, turn <-chan struct{}) (_ *port.Result, held bool) {
	res := &port.Result{Key: req.Key, System: req.System, Op: req.Op, Item: req.Item, Handle: req.Handle, Final: true}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	select {
	case <-turn:
	case <-ctx.Done():
		go func() { <-turn; a.turns.give() }() // passed on when it comes
		res.Err = Classify(fmt.Errorf("waiting for a turn: %w", ctx.Err()))
		return res, false
	}
	start := time.Now()
	x := &exchange{a: a, ctx: ctx}
	r, err := a.run(x, req)
	// The logger names the system: an adapters file builds one adapter
	// an entry, each with its system's logger.
	log := a.cfg.Log.With("op", string(req.Op), "item", req.Item, "key", req.Key,
		"requests", len(x.sent), "took", time.Since(start))
	if err != nil {
		res.Err = Classify(err)
		log.Warn("NetBox call failed", "class", string(res.Err.Class), "code", res.Err.Code, "err", res.Err.Message)
		return res, true
	}
	log.Info("NetBox call done")
	res.Resource = r
	return res, true
}

// DryRun returns the requests req would send, in order, byte for byte as
// Do sends them. It reads NetBox to know them (the look-ups, GET only:
// which group, which object) and sends no write. A call that would fail
// after its look-ups returns them with the error.
func (a *Adapter) DryRun(req *port.Request) ([]port.Sent, *port.Error) {
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.Timeout)
	defer cancel()
	x := &exchange{a: a, ctx: ctx, dry: true}
	if _, err := a.run(x, req); err != nil && !errors.Is(err, errDry) {
		return x.sent, Classify(err)
	}
	return x.sent, nil
}

// run carries out req over x.
func (a *Adapter) run(x *exchange, req *port.Request) (*tmf.Resource, error) {
	rt := req.ResourceType
	if req.Resource != nil {
		rt = req.Resource.ResourceType
	}
	if req.System != port.VLAN && req.System != port.IPAM {
		return nil, &port.Error{Class: port.Invalid, Code: "wrongSystem", Message: fmt.Sprintf("the NetBox adapter got a call for %q", req.System)}
	}
	if req.Op != port.Reserve && req.Op != port.Commit && req.Op != port.Release {
		return nil, &port.Error{Class: port.Invalid, Code: "unsupported", Message: fmt.Sprintf("the NetBox adapter does not %s", req.Op)}
	}
	if req.Op != port.Reserve && req.Resource == nil {
		return nil, &port.Error{Class: port.Invalid, Code: "noResource", Message: fmt.Sprintf("%s without a reserved resource", req.Op)}
	}
	switch rt {
	case "VLAN":
		return a.vlan(x, req)
	case "IPv4Subnet":
		return a.subnet(x, req)
	}
	return nil, &port.Error{Class: port.Invalid, Code: "unknownResourceType", Message: fmt.Sprintf("the NetBox adapter holds VLANs and IPv4 subnets, not %q", rt)}
}

// description is what an allocation carries to be found again: the order
// item (marked with the store) and the idempotency key.
func (a *Adapter) description(req *port.Request) string {
	return strings.TrimSpace(a.Mark(req.Item) + " " + req.Key)
}

// owned says whether an object's description names mine, an item's mark.
func owned(desc, mine string) bool {
	return desc == mine || strings.HasPrefix(desc, mine+" ")
}

// held is what commit and release answer: the reserved resource, in its
// new state (release answers with none, as the twin does).
func held(req *port.Request, state string) *tmf.Resource {
	if req.Op == port.Release {
		return nil
	}
	r := *req.Resource
	r.State = state
	return &r
}

// turns bounds the calls in flight and lets the waiting ones go in the
// order they came: two VLANs asked for in turn are allocated in that order,
// as by the in-process twin.
type turns struct {
	mu      sync.Mutex
	free    int
	waiting []chan struct{}
}

// take is a turn: its channel is closed when the turn comes.
func (t *turns) take() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := make(chan struct{})
	if t.free > 0 && len(t.waiting) == 0 {
		t.free--
		close(c)
	} else {
		t.waiting = append(t.waiting, c)
	}
	return c
}

// give ends a turn: the next waiting one's comes.
func (t *turns) give() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.waiting) > 0 {
		close(t.waiting[0])
		t.waiting = t.waiting[1:]
		return
	}
	t.free++
}

// Package netconf is the twin's NETCONF front-end (RFC 6241 over SSH, RFC
// 6242): an OLT's datastores in memory, served to any NETCONF client —
// the access adapter in tests, or an operator's tool — with the faults a
// real OLT shows (a lock held elsewhere, a port in use, a slow answer)
// injected as data. It is a front-end: it knows the configuration an OLT
// holds, not the twin's allocations.
package netconf

import (
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"sync"
	"text/template"
	"time"

	"github.com/ordertwin/ordertwin/core/netconf"
)

//go:embed pon.xml.tmpl
var ponTemplate string

//go:embed p2p.xml.tmpl
var p2pTemplate string

var (
	pon = template.Must(template.New("pon").Parse(ponTemplate))
	p2p = template.Must(template.New("p2p").Parse(p2pTemplate))
)

// Card is a line card: its slot and how many PON ports it has.
type Card struct {
	Slot  int
	Ports int
}

// Clock arms the confirm timeout of a confirmed commit. Tests give a clock
// they fire by hand.
type Clock interface {
	// AfterFunc calls f once d has passed, unless the returned stop is
	// called first.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// WallClock is the real time.
type WallClock struct{}

// AfterFunc is time.AfterFunc.
func (WallClock) AfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// DefaultConfirmTimeout is a confirmed commit's timeout when the client
// names none (RFC 6241 §8.4.5.1: 600 seconds).
const DefaultConfirmTimeout = 600 * time.Second

// Device is one OLT's configuration: running and candidate datastores,
// the candidate's lock, a confirmed commit waiting for its confirmation,
// and the faults to inject.
type Device struct {
	Name  string
	clock Clock
	// Ended, if set, hears the id of each session once the device has
	// released what it held (tests wait on it).
	Ended chan uint32
	// Judge, if set, is asked about every edit-config the device is sent
	// (the content of its <config>), before it is applied: an rpc-error it
	// returns is the answer, and the edit changes nothing. Twin serve
	// judges the scenario's fault rules this way. Set it before serving.
	Judge func(edit []byte) *netconf.Error

	mu        sync.Mutex
	running   []*netconf.Node
	candidate []*netconf.Node
	lockedBy  uint32
	pending   *confirmation
	faults    []*Fault
	edits     [][]byte
	commits   int
	rollbacks int
}

// confirmation is a confirmed commit not yet confirmed: the running
// configuration to go back to, and the timer that will.
type confirmation struct {
	session uint32
	before  []*netconf.Node
	stop    func() bool
}

// NewDevice makes an OLT whose running configuration holds its PON ports
// (channel group, partition, pair and termination per port, named
// LC<slot>-P<port>) and one uplink.
func NewDevice(name string, cards []Card, clock Clock) (*Device, error) {
	var ports []string
	for _, c := range cards {
		if c.Slot < 1 || c.Ports < 1 {
			return nil, fmt.Errorf("OLT %s: line card %d with %d ports: slot and ports count from 1", name, c.Slot, c.Ports)
		}
		for p := 1; p <= c.Ports; p++ {
			ports = append(ports, fmt.Sprintf("LC%d-P%d", c.Slot, p))
		}
	}
	return newDevice(name, pon, ports, clock)
}

// NewExchange makes an exchange's switch whose running configuration
// holds its P2P Ethernet handoff ports p2p-1 to p2p-<ports>, disabled: a
// port is given to a site by describing it (the access adapter's
// handoffs).
func NewExchange(name string, ports int, clock Clock) (*Device, error) {
	if ports < 1 {
		return nil, fmt.Errorf("exchange %s: %d P2P ports: count from 1", name, ports)
	}
	var names []int
	for p := 1; p <= ports; p++ {
		names = append(names, p)
	}
	return newDevice(name, p2p, names, clock)
}

func newDevice(name string, tmpl *template.Template, data any, clock Clock) (*Device, error) {
	if clock == nil {
		clock = WallClock{}
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	tree, err := netconf.ParseTree(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Device{Name: name, clock: clock, running: tree, candidate: netconf.Clone(tree)}, nil
}

// Load merges config (a <config>, or its content) into the running
// configuration, as a commit would, checked as a commit is: what the
// device holds before anyone connects (ports in service before the twin
// started). The candidate follows.
func (d *Device) Load(config []byte) error {
	tree, err := netconf.ParseTree(config)
	if err != nil {
		return fmt.Errorf("%s: %w", d.Name, err)
	}
	if len(tree) == 1 && tree[0].Name.Local == "config" {
		tree = tree[0].Children
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	next, nerr := netconf.Apply(d.running, tree)
	if nerr != nil {
		return fmt.Errorf("%s: %w", d.Name, nerr)
	}
	if nerr := check(next); nerr != nil {
		return fmt.Errorf("%s: %w", d.Name, nerr)
	}
	d.running, d.candidate = next, netconf.Clone(next)
	return nil
}

// Running is the running configuration, as XML.
func (d *Device) Running() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return netconf.Marshal(d.running)
}

// Edits lists the content of every <config> the device was sent, in order.
func (d *Device) Edits() [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.edits)
}

// Commits counts the commits that changed the running configuration and
// stayed (confirmed ones once confirmed); Rollbacks the confirmed commits
// rolled back.
func (d *Device) Commits() (commits, rollbacks int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.commits, d.rollbacks
}

// Inject adds a fault rule.
func (d *Device) Inject(f *Fault) *Fault {
	d.mu.Lock()
	defer d.mu.Unlock()
	if f.release == nil {
		f.release = make(chan struct{})
	}
	d.faults = append(d.faults, f)
	return f
}

// fault is the first rule that fires for operation op, counted.
func (d *Device) fault(op string) *Fault {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, f := range d.faults {
		if f.Op == op && (f.Times == 0 || f.Hits() < f.Times) {
			f.hits.Add(1)
			return f
		}
	}
	return nil
}

// ended releases what a session held: its lock (and the candidate's
// changes with it), and a confirmed commit it did not confirm, which is
// rolled back at once (RFC 6241 §8.4.1).
func (d *Device) ended(session uint32) {
	d.mu.Lock()
	if d.lockedBy == session {
		d.lockedBy = 0
		d.candidate = netconf.Clone(d.running)
	}
	if d.pending != nil && d.pending.session == session {
		d.rollback()
	}
	d.mu.Unlock()
	if d.Ended != nil {
		d.Ended <- session
	}
}

// rollback restores the configuration before an unconfirmed commit.
// d.mu is held.
func (d *Device) rollback() {
	d.pending.stop()
	d.running = d.pending.before
	d.candidate = netconf.Clone(d.running)
	d.pending = nil
	d.rollbacks++
}

// Package ztp is the twin's CE routers as a PnP server sees them: one
// Cisco Plug and Play agent per router of the network's CPE stock which,
// once the router is installed at its site, finds the PnP server by DHCP
// option 43, calls home, describes itself, applies and saves the Day-1
// configuration it is handed, and reports. The configuration becomes the
// router's state, which the twin shows (Device.Show). Faults are data: a
// router that never calls home (lostCPE), one that refuses its
// configuration (badConfig).
package ztp

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/ordertwin/ordertwin/core/pnp"
	"github.com/ordertwin/ordertwin/twin"
)

// Fault kinds a router shows.
const (
	// LostCPE: the router never calls home.
	LostCPE = twin.LostCPE
	// BadConfig: the router refuses its configuration at the first
	// interface line.
	BadConfig twin.FaultKind = "badConfig"
)

// Fault makes a router show Kind on its next Times installs or applies
// (every time if 0); Hits counts how often it did.
type Fault struct {
	Kind  twin.FaultKind
	Times int
	Hits  int
}

// Device is one CE router: its identity, its configuration, and what the
// PnP server told it.
type Device struct {
	Model  string
	UDI    pnp.UDI
	ports  []string
	mu     sync.Mutex
	state  State
	faults []*Fault
	heard  []Heard
}

// Heard is one message the router received from the PnP server.
type Heard struct {
	Op   string // device-info, cli-config, backoff, bye
	Body string
}

// State is what the router's configuration holds, and how often it was
// configured.
type State struct {
	Hostname   string
	Interfaces map[string]Interface
	// Routes are the static routes ("0.0.0.0 0.0.0.0 10.88.12.1").
	Routes []string
	// PolicyMaps are the QoS policy-maps defined.
	PolicyMaps []string
	// TWAMPResponder is on when the configuration enables the IP SLA
	// TWAMP responder (and its TWAMP-light test session, STAMP's).
	TWAMPResponder bool
	// Running is the running configuration, as last applied.
	Running string
	// Saved is true once the configuration is saved (configPersist).
	Saved bool
	// Heard is true once a server has answered the router's report of
	// its saved configuration (the apply's, or a check's after it). Until
	// then its agent is not done: told to back off, it calls again, as a
	// server that died before the report reached it still waits for it.
	Heard bool
	// Applies counts the configurations applied; CalledHome the times the
	// router called home.
	Applies, CalledHome int
}

// Interface is an interface's configuration.
type Interface struct {
	Description         string
	VLAN                int          // dot1Q encapsulation of a sub-interface
	Address             netip.Prefix // ip address with its mask
	PolicyIn, PolicyOut string
	Up                  bool
}

// Show is a copy of the router's state.
func (d *Device) Show() State {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.state
	s.Interfaces = make(map[string]Interface, len(d.state.Interfaces))
	for k, v := range d.state.Interfaces {
		s.Interfaces[k] = v
	}
	s.Routes, s.PolicyMaps = slices.Clone(s.Routes), slices.Clone(s.PolicyMaps)
	return s
}

// Heard lists what the router received from the PnP server, in order.
func (d *Device) Heard() []Heard {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.heard)
}

// Inject adds a fault rule to the router.
func (d *Device) Inject(f *Fault) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = append(d.faults, f)
}

// Hits is how often the router's faults fired, by kind.
func (d *Device) Hits(kind twin.FaultKind) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, f := range d.faults {
		if f.Kind == kind {
			n += f.Hits
		}
	}
	return n
}

// firing reports whether a fault of kind fires now, and counts it.
// Called with d.mu held.
func (d *Device) firing(kind twin.FaultKind) bool {
	for _, f := range d.faults {
		if f.Kind == kind && (f.Times == 0 || f.Hits < f.Times) {
			f.Hits++
			return true
		}
	}
	return false
}

// lineError is a line the router refuses.
type lineError struct {
	n    int
	line string
	why  string
}

// apply applies a configuration block line by line, as IOS does, into a
// copy of the state; the first line refused stops it and changes nothing.
// It returns the lines applied and the refusal, if any.
func (d *Device) apply(text string, persist bool) ([]string, *lineError) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.state.Applies++
	s := d.state
	s.Interfaces = map[string]Interface{}
	for k, v := range d.state.Interfaces {
		s.Interfaces[k] = v
	}
	s.Routes, s.PolicyMaps = slices.Clone(s.Routes), slices.Clone(s.PolicyMaps)
	bad := d.firing(BadConfig)
	var applied []string
	var iface string // the interface being configured
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimRight(raw, " \r")
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "!") {
			continue
		}
		if t == "end" {
			break
		}
		applied = append(applied, t)
		f := strings.Fields(t)
		top := line == t
		if top {
			iface = ""
		}
		fail := func(why string) ([]string, *lineError) {
			return applied, &lineError{n: i + 1, line: t, why: why}
		}
		switch {
		case top && f[0] == "hostname" && len(f) == 2:
			s.Hostname = f[1]
		case top && f[0] == "interface" && len(f) == 2:
			if bad || !d.hasInterface(f[1]) {
				return fail("% Invalid input detected at '^' marker.")
			}
			iface = f[1]
		case top && f[0] == "policy-map" && len(f) == 2:
			s.PolicyMaps = append(s.PolicyMaps, f[1])
		case top && f[0] == "ip" && len(f) == 5 && f[1] == "route":
			s.Routes = append(s.Routes, strings.Join(f[2:], " "))
		case top && strings.HasPrefix(t, "ip sla responder twamp"):
			s.TWAMPResponder = true
		case iface != "":
			in := s.Interfaces[iface]
			switch {
			case f[0] == "description":
				in.Description = strings.TrimSpace(strings.TrimPrefix(t, "description"))
			case f[0] == "encapsulation" && len(f) == 3 && strings.EqualFold(f[1], "dot1Q"):
				v, err := strconv.Atoi(f[2])
				if err != nil || v < 1 || v > 4094 || !strings.HasSuffix(iface, "."+f[2]) {
					return fail("% Invalid VLAN for " + iface)
				}
				in.VLAN = v
			case f[0] == "ip" && len(f) == 4 && f[1] == "address":
				p, err := prefixOf(f[2], f[3])
				if err != nil {
					return fail("% Invalid address: " + err.Error())
				}
				in.Address = p
			case f[0] == "service-policy" && len(f) == 3:
				if !slices.Contains(s.PolicyMaps, f[2]) {
					return fail("% policy map " + f[2] + " not configured")
				}
				if f[1] == "input" {
					in.PolicyIn = f[2]
				} else {
					in.PolicyOut = f[2]
				}
			case t == "no shutdown":
				in.Up = true
			case t == "shutdown":
				in.Up = false
			}
			s.Interfaces[iface] = in
		}
	}
	s.Running, s.Saved, s.Heard = upToEnd(text), persist, false
	d.state = s
	return applied, nil
}

// upToEnd is a configuration block up to its "end" line, which ends what
// the router applies.
func upToEnd(text string) string {
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "end" {
			return strings.Join(lines[:i+1], "")
		}
	}
	return text
}

// exec runs an exec command: show running-config, whole or filtered by
// "| include TEXT" (lines containing TEXT).
func (d *Device) exec(cmd string) (string, error) {
	show, filter, filtered := strings.Cut(cmd, "|")
	if strings.Join(strings.Fields(show), " ") != "show running-config" {
		return "", fmt.Errorf("%% Invalid input detected at '^' marker: %q", cmd)
	}
	d.mu.Lock()
	running := d.state.Running
	d.mu.Unlock()
	if !filtered {
		return running, nil
	}
	f := strings.Fields(filter)
	if len(f) < 2 || f[0] != "include" {
		return "", fmt.Errorf("%% Invalid input detected at '^' marker: %q", cmd)
	}
	text := strings.Join(f[1:], " ")
	var out []string
	for _, line := range strings.Split(running, "\n") {
		if strings.Contains(line, text) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n"), nil
}

// hasInterface reports whether name is one of the router's ports or a
// sub-interface of one.
func (d *Device) hasInterface(name string) bool {
	base, sub, isSub := strings.Cut(name, ".")
	if isSub {
		if v, err := strconv.Atoi(sub); err != nil || v < 1 || v > 4094 {
			return false
		}
	}
	return slices.Contains(d.ports, base)
}

// prefixOf reads an address and a dotted mask.
func prefixOf(addr, mask string) (netip.Prefix, error) {
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is4() {
		return netip.Prefix{}, fmt.Errorf("%q is not an IPv4 address", addr)
	}
	m, err := netip.ParseAddr(mask)
	if err != nil || !m.Is4() {
		return netip.Prefix{}, fmt.Errorf("%q is not a mask", mask)
	}
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	bits := 0
	for v&(1<<31) != 0 {
		bits++
		v <<= 1
	}
	if v != 0 {
		return netip.Prefix{}, fmt.Errorf("%q is not a contiguous mask", mask)
	}
	return netip.PrefixFrom(a, bits), nil
}

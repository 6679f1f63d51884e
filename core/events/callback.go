package events

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrRefused is the error of a callback address the policy refuses.
var ErrRefused = errors.New("callback address refused")

// Callbacks is where hub callbacks may go: checked when a listener
// registers (CheckURL) and again on every address the notifier's client
// dials (Client), after name resolution, so that a host name that later
// resolves elsewhere (DNS rebinding) cannot get round it.
//
// The allow-list holds entries of four kinds:
//   - "public": any globally routable address, that is every address but
//     the reserved ones (see reservedNets): loopback, link-local and cloud
//     metadata, private (RFC 1918, ULA, CGNAT), unspecified, multicast,
//     broadcast, documentation and IPv6 forms that embed an IPv4 address;
//   - a network, "10.20.0.0/16" or "fd12::/64", or one address, "10.20.0.7":
//     those addresses, reserved or not;
//   - a host name, "crm.example.com": that name, whatever it resolves to
//     (its operator vouches for it);
//   - "self": the server's own API address (Self), which is otherwise
//     refused even where its network is allowed.
//
// The default list is just "public".
type Callbacks struct {
	public bool
	self   bool
	nets   []netip.Prefix
	hosts  []string
	// Self are the addresses the server's own API listens on.
	Self []netip.AddrPort
	// Resolve resolves a callback's host name to its addresses; nil is
	// the system's resolver. Tests give their own so that no query leaves
	// the machine.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// refused counts the dials refused, for tests to see the check fire.
	refused atomic.Int64
}

// DefaultAllow is the allow-list when none is given.
var DefaultAllow = []string{"public"}

// NewCallbacks compiles an allow-list (nil or empty: DefaultAllow). The
// error names the entry that is neither "public", "self", a network, an
// address nor a host name.
func NewCallbacks(allow []string) (*Callbacks, error) {
	if len(allow) == 0 {
		allow = DefaultAllow
	}
	c := &Callbacks{}
	for _, a := range allow {
		a = strings.TrimSpace(a)
		switch {
		case a == "public":
			c.public = true
		case a == "self":
			c.self = true
		case strings.Contains(a, "/"):
			p, err := netip.ParsePrefix(a)
			if err != nil {
				return nil, fmt.Errorf("hub allow-list entry %q: not a network (want CIDR such as 10.20.0.0/16): %w", a, err)
			}
			c.nets = append(c.nets, p.Masked())
		default:
			if ip, err := netip.ParseAddr(a); err == nil {
				if ip.Zone() != "" {
					return nil, fmt.Errorf("hub allow-list entry %q: an address with a zone", a)
				}
				ip = ip.Unmap()
				c.nets = append(c.nets, netip.PrefixFrom(ip, ip.BitLen()))
				continue
			}
			h, err := hostName(a)
			if err != nil {
				return nil, fmt.Errorf("hub allow-list entry %q: want public, self, a network (CIDR), an address or a host name: %w", a, err)
			}
			c.hosts = append(c.hosts, h)
		}
	}
	return c, nil
}

// MustCallbacks is NewCallbacks for lists known to be good (tests,
// defaults); it panics on a bad one.
func MustCallbacks(allow ...string) *Callbacks {
	c, err := NewCallbacks(allow)
	if err != nil {
		panic(err)
	}
	return c
}

// DialsRefused is how many dials the policy refused so far.
func (c *Callbacks) DialsRefused() int64 { return c.refused.Load() }

// CheckURL checks a callback URL as given at registration: an absolute
// http or https URL, a port from 1 to 65535 when one is given, a host that
// is a DNS name or an IP address in its one plain form (dotted decimal,
// or bracketed IPv6 without zone: not 127.1, 2130706433, 0x7f.1 or octal),
// and that the allow-list lets through. A host name is only resolved when
// dialled (then its addresses are checked). The error says what is wrong.
func (c *Callbacks) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.Host == "" {
		return errors.New("want an absolute http or https URL, such as https://listener.example/events")
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return fmt.Errorf("scheme %q: want http or https", u.Scheme)
	}
	if strings.HasSuffix(u.Host, ":") {
		return errors.New("an empty port: leave the colon out or give a port from 1 to 65535")
	}
	port := 80
	if strings.EqualFold(u.Scheme, "https") {
		port = 443
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 || p[0] == '0' {
			return fmt.Errorf("port %s: want a number from 1 to 65535", p)
		}
		port = n
	}
	host := u.Hostname()
	if strings.HasPrefix(u.Host, "[") {
		ip, err := netip.ParseAddr(host)
		switch {
		case err != nil:
			return fmt.Errorf("host [%s]: not an IPv6 address", host)
		case ip.Zone() != "":
			return fmt.Errorf("host [%s]: an address with a zone", host)
		}
		return c.checkAddr(netip.AddrPortFrom(ip, uint16(port)))
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is4() {
		return c.checkAddr(netip.AddrPortFrom(ip, uint16(port)))
	}
	name, err := hostName(host)
	if err != nil {
		return fmt.Errorf("host %q: %w", host, err)
	}
	if slices.Contains(c.hosts, name) {
		return nil
	}
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		// Loopback by name (RFC 6761): as 127.0.0.1 would be.
		if err := c.checkAddr(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))); err != nil {
			return fmt.Errorf("host %s: %w", name, err)
		}
		return nil
	}
	if !c.public && len(c.nets) == 0 {
		return fmt.Errorf("host %s: %w: not on the hub allow-list", name, ErrRefused)
	}
	return nil
}

// hostName checks a DNS host name (letters, digits and hyphens in labels
// of at most 63, at most 253 in all, a trailing dot taken) and returns it
// in lower case without the trailing dot. A name whose last label is a
// number is an IPv4 address in one of its odd forms, and refused.
func hostName(h string) (string, error) {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if h == "" || len(h) > 253 {
		return "", errors.New("want a host name of 1 to 253 characters")
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' ||
			strings.IndexFunc(l, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') }) >= 0 {
			return "", fmt.Errorf("label %q: want letters, digits and inner hyphens (an internationalised name in its xn-- form)", l)
		}
	}
	last := labels[len(labels)-1]
	isNum := strings.IndexFunc(last, func(r rune) bool { return r < '0' || r > '9' }) < 0
	isHex := strings.HasPrefix(last, "0x") && strings.IndexFunc(last[2:], func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f')
	}) < 0
	if isNum || isHex {
		return "", errors.New("an IPv4 address in a form other than dotted decimal (such as 127.1, 2130706433, 0x7f.1 or octal)")
	}
	return h, nil
}

// reserved is a network no callback reaches unless the allow-list names
// it, and why; the more specific first.
type reserved struct {
	net    netip.Prefix
	reason string
}

// reservedNets are the networks refused by default.
var reservedNets = []reserved{
	{netip.MustParsePrefix("169.254.169.254/32"), "cloud metadata"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "cloud metadata"},
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast"},
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified (this network)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "private (carrier-grade NAT)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private (RFC 1918)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved (IETF protocol assignments)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private (RFC 1918)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved (benchmarking)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("::/96"), "an IPv6 form of an IPv4 address"},
	{netip.MustParsePrefix("64:ff9b::/96"), "an IPv6 form of an IPv4 address (NAT64)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "an IPv6 form of an IPv4 address (NAT64)"},
	{netip.MustParsePrefix("100::/64"), "reserved (discard)"},
	{netip.MustParsePrefix("2001::/32"), "an IPv6 form of an IPv4 address (Teredo)"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("2002::/16"), "an IPv6 form of an IPv4 address (6to4)"},
	{netip.MustParsePrefix("fc00::/7"), "private (unique local)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// checkAddr tells whether a callback may reach ap: the server's own API
// only when "self" is allowed; an address in an allowed network; a
// public one when "public" is allowed.
func (c *Callbacks) checkAddr(ap netip.AddrPort) error {
	ip := ap.Addr().Unmap().WithZone("")
	if c.isSelf(netip.AddrPortFrom(ip, ap.Port())) {
		if c.self {
			return nil
		}
		return fmt.Errorf("%s: %w: the server's own API", ap, ErrRefused)
	}
	for _, n := range c.nets {
		if n.Contains(ip) {
			return nil
		}
	}
	for _, r := range reservedNets {
		if r.net.Contains(ip) {
			return fmt.Errorf("%s: %w: %s", ip, ErrRefused, r.reason)
		}
	}
	if !c.public {
		return fmt.Errorf("%s: %w: not on the hub allow-list", ip, ErrRefused)
	}
	return nil
}

func (c *Callbacks) isSelf(ap netip.AddrPort) bool {
	for _, s := range c.Self {
		a := s.Addr().Unmap()
		if s.Port() == ap.Port() && (a == ap.Addr() || a.IsUnspecified() && (ap.Addr().IsLoopback() || ap.Addr().IsUnspecified())) {
			return true
		}
	}
	return false
}

// SelfOf lists the addresses a listener on addr is reached at: addr
// itself, or, when it listens on every address (0.0.0.0, ::), each of
// the machine's interface addresses at its port.
func SelfOf(addr net.Addr) []netip.AddrPort {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return nil
	}
	self := []netip.AddrPort{netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())}
	if !ap.Addr().IsUnspecified() {
		return self
	}
	ifs, _ := net.InterfaceAddrs()
	for _, a := range ifs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			self = append(self, netip.AddrPortFrom(p.Addr().Unmap(), ap.Port()))
		}
	}
	return self
}

// trustedHost marks a dial to a host name on the allow-list.
type trustedHost struct{}

// Client returns the HTTP client that delivers events: it dials only
// what the policy allows, checked on the address it connects to (after
// resolution); it takes no proxy from the environment; it follows no
// redirect (a 3xx is the answer, so a failed delivery); each attempt
// ends after timeout.
func (c *Callbacks) Client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout, ControlContext: c.control}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return c.dial(ctx, d, network, addr)
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: NoRedirect}
}

// NoRedirect is the CheckRedirect of the notifier's clients: the 3xx
// answer is returned, never followed.
func NoRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// dial resolves addr's host (unless it is an address), and dials its
// addresses in turn; control checks each before it connects.
func (c *Callbacks) dial(ctx context.Context, d *net.Dialer, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if name, err := hostName(host); err == nil && slices.Contains(c.hosts, name) {
		ctx = context.WithValue(ctx, trustedHost{}, true)
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else if c.Resolve != nil {
		ips, err = c.Resolve(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
	} else {
		ips, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
	}
	var errs []error
	for _, ip := range ips {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("resolve %s: no address", host)
	}
	return nil, errors.Join(errs...)
}

// control checks the address about to be connected to: the last word,
// whatever resolved it.
func (c *Callbacks) control(ctx context.Context, _, address string, _ syscall.RawConn) error {
	if trusted, _ := ctx.Value(trustedHost{}).(bool); trusted {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		c.refused.Add(1)
		return fmt.Errorf("%s: %w: not an address", address, ErrRefused)
	}
	if err := c.checkAddr(ap); err != nil {
		c.refused.Add(1)
		return err
	}
	return nil
}

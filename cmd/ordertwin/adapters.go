package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ordertwin/ordertwin/adapters/netbox"
	"github.com/ordertwin/ordertwin/adapters/netconf"
	"github.com/ordertwin/ordertwin/adapters/radius"
	"github.com/ordertwin/ordertwin/adapters/stamp"
	"github.com/ordertwin/ordertwin/adapters/ztp"
	"github.com/ordertwin/ordertwin/core/pnp"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/system"
)

// adapterKinds are the kinds of real adapter an adapters file may name
// (docs/adapters.md), each one entry: the systems it serves, the settings
// it takes, and how it is built from its entry.
var adapterKinds = map[string]system.Kind{
	"netconf": {Systems: []port.System{port.Access}, Settings: settingsOf[netconfSettings], New: newNETCONFAccess, Address: system.HostPort},
	"netbox":  {Systems: []port.System{port.VLAN, port.IPAM}, Settings: settingsOf[netboxSettings], New: newNetBox, Address: netboxAddress},
	"radius":  {Systems: []port.System{port.BNG}, Settings: settingsOf[radiusSettings], New: newRADIUS, Address: system.HostPort},
	"ztp": {Systems: []port.System{port.ZTP}, Settings: settingsOf[ztpSettings], New: newZTP, Timeout: ztp.DefaultTimeout,
		NotOrdered: "a release would wait behind the commit it ends, up to that commit's timeout (it allocates nothing: leave ordered out)"},
	"stamp": {Systems: []port.System{port.NMS}, Settings: settingsOf[stampSettings], New: newSTAMP, Address: system.HostPort, Unauthenticated: true},
}

// netboxAddress checks a NetBox address: its URL without the API's /api,
// which the adapter adds to every path.
func netboxAddress(addr string) error {
	if err := system.HTTPURL(addr); err != nil {
		return err
	}
	if strings.HasSuffix(strings.TrimSuffix(addr, "/"), "/api") {
		return fmt.Errorf("%q: give NetBox's URL without /api (the adapter adds it: %s/api/ipam/…)", addr, strings.TrimSuffix(strings.TrimSuffix(addr, "/"), "/api"))
	}
	return nil
}

// settingsOf makes a kind's settings value: a T, zero until the file's
// settings are decoded into it.
func settingsOf[T any]() any { return new(T) }

// settings is the kind's settings value of an entry (its zero value if
// the entry has none).
func settings[T any](c system.AdapterConfig) *T {
	if v, ok := c.Settings.Value().(*T); ok {
		return v
	}
	return new(T)
}

// netconfSettings are the netconf kind's settings.
type netconfSettings struct {
	// Uplink is the OLTs' network-side interface (uplink-1 if empty).
	Uplink string `yaml:"uplink"`
	// ConfirmTimeout is the confirmed commit's timeout (60s if zero).
	ConfirmTimeout time.Duration `yaml:"confirmTimeout"`
	// NoValidate leaves the <validate> step out of each transaction, for
	// an OLT whose commit after a validate applies nothing (the commit
	// validates the candidate anyway).
	NoValidate bool `yaml:"noValidate"`
	// AfterHello is a wait after each session's hello exchange before its
	// first rpc, for an OLT that loses an rpc sent right behind the hello.
	AfterHello time.Duration `yaml:"afterHello"`
	// MaxReply bounds the size of a message an OLT may send (such as
	// 4MiB; 16MiB if empty): a reply is parsed whole, and its tree holds
	// several times its size.
	MaxReply string `yaml:"maxReply"`
	maxReply int
	// Areas and Addresses make the adapter allocate ports itself (a
	// reserve that names none takes the first free one on its site's
	// area's devices): the OLTs and the exchange of each serving area, and
	// the area of each site address.
	Areas     map[string]netconfArea `yaml:"areas"`
	Addresses map[string]string      `yaml:"addresses"`
}

// minReply is the least maxReply may be.
const minReply = 64 << 10

// netconfArea is a serving area of the netconf kind's settings.
type netconfArea struct {
	OLTs     []string `yaml:"olts"`
	Exchange string   `yaml:"exchange"`
}

func (s *netconfSettings) Check() error {
	if s.ConfirmTimeout < 0 {
		return &system.SettingError{Key: "confirmTimeout", Problem: "want a positive duration such as 60s"}
	}
	if s.AfterHello < 0 {
		return &system.SettingError{Key: "afterHello", Problem: s.AfterHello.String() + ": want a duration of zero or more, such as 200ms"}
	}
	if s.MaxReply != "" {
		n, err := parseBytes(s.MaxReply)
		if err == nil && n < minReply {
			err = fmt.Errorf("%s: want %d bytes or more (a hello and a reply to a lock must fit)", s.MaxReply, minReply)
		}
		if err != nil {
			return &system.SettingError{Key: "maxReply", Problem: err.Error()}
		}
		s.maxReply = n
	}
	for _, name := range slices.Sorted(maps.Keys(s.Areas)) {
		if a := s.Areas[name]; len(a.OLTs) == 0 && a.Exchange == "" {
			return &system.SettingError{Key: "areas." + name, Problem: "an area needs olts or an exchange to allocate on"}
		}
	}
	for _, addr := range slices.Sorted(maps.Keys(s.Addresses)) {
		if _, ok := s.Areas[s.Addresses[addr]]; !ok {
			return &system.SettingError{Key: "addresses." + addr, Problem: fmt.Sprintf("area %q is not among the areas", s.Addresses[addr])}
		}
	}
	if len(s.Addresses) > 0 && len(s.Areas) == 0 || len(s.Areas) > 0 && len(s.Addresses) == 0 {
		return &system.SettingError{Key: "areas", Problem: "areas and addresses go together: the adapter allocates with both"}
	}
	return nil
}

// netboxSettings are the netbox kind's settings.
type netboxSettings struct {
	// VLANGroup is the VLAN group of every site VLANGroups does not list;
	// VLANGroups the group by site address.
	VLANGroup  string            `yaml:"vlanGroup"`
	VLANGroups map[string]string `yaml:"vlanGroups"`
	// PrefixLength is the length of the subnets allocated (29 if zero).
	PrefixLength int `yaml:"prefixLength"`
}

func (s *netboxSettings) Check() error {
	if s.PrefixLength < 0 || s.PrefixLength > 32 {
		return &system.SettingError{Key: "prefixLength", Problem: fmt.Sprintf("%d: want a prefix length from 1 to 32", s.PrefixLength)}
	}
	return nil
}

// radiusSettings are the radius kind's settings.
type radiusSettings struct {
	// Sites maps a site's street address to the BNG (its endpoint's name)
	// that serves it; with one BNG it may be left out.
	Sites map[string]string `yaml:"sites"`
	// Templates are the QoS policies the BNGs hold.
	Templates []radius.Template `yaml:"templates"`
	// Retry is how long to wait for an answer before sending again (2s
	// if zero).
	Retry time.Duration `yaml:"retry"`
}

func (s *radiusSettings) Check() error {
	for i, t := range s.Templates {
		if t.Name == "" || t.SpeedMbps <= 0 || t.Tier == "" {
			return &system.SettingError{Key: "templates", Problem: fmt.Sprintf("template %d needs a name, a speedMbps above 0 and a tier", i+1)}
		}
	}
	if s.Retry < 0 {
		return &system.SettingError{Key: "retry", Problem: "want a positive duration such as 2s"}
	}
	return nil
}

// ztpSettings are the ztp kind's settings.
type ztpSettings struct {
	// Listen is where the PnP server listens (the entry's address, which
	// routers reach it at, if empty): 0.0.0.0:9080 behind a NAT, say.
	Listen string `yaml:"listen"`
	// Certificate is a PEM certificate file (relative to the adapters
	// file): with the entry's privateKey, the server speaks HTTPS and
	// option 43 says K5.
	Certificate string `yaml:"certificate"`
	// Backoff is how long a router with no work waits before it asks
	// again (1m if zero).
	Backoff time.Duration `yaml:"backoff"`
}

func (s *ztpSettings) Check() error {
	if s.Backoff < 0 {
		return &system.SettingError{Key: "backoff", Problem: "want a positive duration such as 1m"}
	}
	return nil
}

// stampSettings are the stamp kind's settings.
type stampSettings struct {
	// Count is how many test packets a session sends (100 if zero), one
	// every Interval (10ms if zero); Wait how long it waits for answers
	// after the last (2s if zero).
	Count    int           `yaml:"count"`
	Interval time.Duration `yaml:"interval"`
	Wait     time.Duration `yaml:"wait"`
	// ProbeName names a site's probe, {customer.code} and {site}
	// replaced (the network's probes.name).
	ProbeName string `yaml:"probeName"`
}

func (s *stampSettings) Check() error {
	switch {
	case s.Count < 0 || s.Count > 1<<20:
		return &system.SettingError{Key: "count", Problem: fmt.Sprintf("%d: want a number of packets from 1 to %d", s.Count, 1<<20)}
	case s.Interval < 0:
		return &system.SettingError{Key: "interval", Problem: "want a positive duration such as 10ms"}
	case s.Wait < 0:
		return &system.SettingError{Key: "wait", Problem: "want a positive duration such as 2s"}
	}
	return nil
}

// loadAdapters reads an adapters file ("": none) and builds its real
// adapters, logging which adapter serves each system it names; file is
// nil without one.
func loadAdapters(cmd, path string, log *slog.Logger) (adapters map[port.System]port.Adapter, file *system.Adapters, err error) {
	return loadAdaptersFor(cmd, path, false, log)
}

// loadAdaptersFor is loadAdapters, with rehearse each adapter built for a
// dry run only (it opens no listener).
func loadAdaptersFor(cmd, path string, rehearse bool, log *slog.Logger) (adapters map[port.System]port.Adapter, file *system.Adapters, err error) {
	if path == "" {
		return nil, nil, nil
	}
	file, err = system.LoadAdapters(path, adapterKinds)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: --adapters: %w", cmd, err)
	}
	if rehearse {
		file.Rehearse()
	}
	if adapters, err = file.Build(log); err != nil {
		return nil, nil, fmt.Errorf("%s: --adapters: %w", cmd, err)
	}
	log.Info("adapters", "file", path, "systems", file.Describe())
	return adapters, file, nil
}

// outsideTimeout is the timeout of an outside adapter whose entry names
// none, for the engine's deadline (system.Adapters.Deadlines): the
// adapters' own defaults are 10 to 30 seconds.
const outsideTimeout = 30 * time.Second

// newNETCONFAccess is the access adapter over NETCONF (adapters/netconf):
// an endpoint per OLT, by the OLT's name, each with its user, password
// (credential) or private key, and host key.
func newNETCONFAccess(c system.AdapterConfig, log *slog.Logger) (port.Adapter, error) {
	if c.Address != "" || len(c.Endpoints) == 0 {
		return nil, errors.New("a netconf adapter connects to each OLT by its name: give endpoints, one per OLT")
	}
	set := settings[netconfSettings](c)
	cfg := netconf.Config{Devices: map[string]netconf.Endpoint{}, Timeout: c.Timeout, Concurrency: c.Concurrency,
		Uplink: set.Uplink, ConfirmTimeout: set.ConfirmTimeout, NoValidate: set.NoValidate, Log: log,
		Addresses: set.Addresses}
	if len(set.Areas) > 0 {
		cfg.Areas = map[string]netconf.Area{}
		for name, a := range set.Areas {
			cfg.Areas[name] = netconf.Area{OLTs: a.OLTs, Exchange: a.Exchange}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Endpoints)) {
		ep := c.Endpoints[name]
		at := "endpoints." + name
		if ep.User == "" {
			return nil, fmt.Errorf("%s: no user", at)
		}
		if ep.HostKey == "" {
			return nil, fmt.Errorf("%s: no hostKey: the OLT's SSH host key (authorized_keys format) is required", at)
		}
		hostKey, _, _, _, err := ssh.ParseAuthorizedKey([]byte(ep.HostKey))
		if err != nil {
			return nil, fmt.Errorf("%s.hostKey: not an SSH public key in authorized_keys format", at)
		}
		e := netconf.Endpoint{Addr: ep.Address, User: ep.User, HostKey: hostKey, AfterHello: set.AfterHello, MaxReply: set.maxReply}
		switch {
		case ep.Credential != nil:
			e.Password = string(ep.Credential.Value())
		case ep.PrivateKey != nil:
			if e.Key, err = ssh.ParsePrivateKey(ep.PrivateKey.Value()); err != nil {
				// The parser's error may quote the key: say only where it is.
				return nil, fmt.Errorf("%s.privateKey: %s is not an unencrypted private key", at, ep.PrivateKey)
			}
		default:
			return nil, fmt.Errorf("%s: give a credential (the password) or a privateKey", at)
		}
		cfg.Devices[name] = e
	}
	return netconf.New(cfg)
}

// newNetBox is the VLAN and IPAM adapter over NetBox's REST API
// (adapters/netbox): the server's URL (address) and API token
// (credential), the VLAN group of every site (setting vlanGroup) and the
// length of the subnets it allocates (setting prefixLength).
func newNetBox(c system.AdapterConfig, log *slog.Logger) (port.Adapter, error) {
	if len(c.Endpoints) > 0 || c.Address == "" {
		return nil, errors.New("a netbox adapter talks to one NetBox: give address (its URL) and no endpoints")
	}
	if c.Credential == nil {
		return nil, errors.New("give a credential: the NetBox API token")
	}
	set := settings[netboxSettings](c)
	return netbox.New(netbox.Config{URL: c.Address, TokenFile: c.Credential.File, TokenEnv: c.Credential.Env,
		VLANGroup: set.VLANGroup, VLANGroups: set.VLANGroups, PrefixLength: set.PrefixLength,
		Timeout: c.Timeout, Concurrency: c.Concurrency, Log: log})
}

// newRADIUS is the BNG adapter over RADIUS CoA (adapters/radius): the
// Dynamic Authorization Server of each BNG (endpoints, by the BNG's
// NAS-Identifier), the shared secret (the entry's credential), the BNG of
// each site and the QoS templates (settings).
func newRADIUS(c system.AdapterConfig, log *slog.Logger) (port.Adapter, error) {
	if c.Address != "" || len(c.Endpoints) == 0 {
		return nil, errors.New("a radius adapter sends to each BNG by its name: give endpoints, one per BNG")
	}
	if c.Credential == nil {
		return nil, errors.New("give a credential: the RADIUS shared secret")
	}
	set := settings[radiusSettings](c)
	bngs := map[string]string{}
	for name, ep := range c.Endpoints {
		if ep.Credential != nil || ep.PrivateKey != nil || ep.User != "" {
			return nil, fmt.Errorf("endpoints.%s: the BNGs share the entry's credential: give an endpoint only its address", name)
		}
		bngs[name] = ep.Address
	}
	for _, addr := range slices.Sorted(maps.Keys(set.Sites)) {
		if _, ok := bngs[set.Sites[addr]]; !ok {
			return nil, fmt.Errorf("settings.sites: %q is served by %q, which is not one of the endpoints", addr, set.Sites[addr])
		}
	}
	return radius.New(radius.Config{BNGs: bngs, Sites: set.Sites, Templates: set.Templates,
		SecretFile: c.Credential.File, SecretEnv: c.Credential.Env,
		Timeout: c.Timeout, Retry: set.Retry, Concurrency: c.Concurrency, Log: log})
}

// newSTAMP is the SLA probe adapter over STAMP (adapters/stamp): the
// Session-Reflector of each site (endpoints, by the site's code) and the
// sessions' packet count and interval (settings).
func newSTAMP(c system.AdapterConfig, log *slog.Logger) (port.Adapter, error) {
	if c.Address != "" || len(c.Endpoints) == 0 {
		return nil, errors.New("a stamp adapter measures each site against its reflector: give endpoints, one per site code")
	}
	set := settings[stampSettings](c)
	reflectors := map[string]string{}
	for site, ep := range c.Endpoints {
		reflectors[site] = ep.Address
	}
	return stamp.New(stamp.Config{Reflectors: reflectors, Count: set.Count, Interval: set.Interval, Wait: set.Wait,
		ProbeName: set.ProbeName, Timeout: c.Timeout, Concurrency: c.Concurrency, Log: log})
}

// newZTP is the ZTP adapter (adapters/ztp): a Cisco PnP server that
// routers reach at address (what DHCP option 43 tells them), listening
// there (or at settings.listen) from the moment it is built; with user
// and credential, the HTTP basic credentials routers present; with
// privateKey and settings.certificate, over HTTPS.
func newZTP(c system.AdapterConfig, log *slog.Logger) (port.Adapter, error) {
	if len(c.Endpoints) > 0 || c.Address == "" {
		return nil, errors.New("a ztp adapter is one PnP server: give address (host:port routers reach it at) and no endpoints")
	}
	set := settings[ztpSettings](c)
	host, p, err := net.SplitHostPort(c.Address)
	n, perr := strconv.Atoi(p)
	if err != nil || perr != nil || host == "" || n < 1 || n > 65535 {
		return nil, fmt.Errorf("address %q: want host:port, where routers reach the PnP server", c.Address)
	}
	cfg := ztp.Config{Advertise: pnp.Discovery{Host: host, Port: n}, User: c.User,
		Timeout: c.Timeout, Concurrency: c.Concurrency, Backoff: set.Backoff, Log: log}
	if c.Credential != nil {
		cfg.Password = ztp.Secret(c.Credential.Value())
	}
	switch {
	case (c.PrivateKey == nil) != (set.Certificate == ""):
		return nil, errors.New("HTTPS needs both privateKey (the server's key) and settings.certificate")
	case c.PrivateKey != nil:
		file := set.Certificate
		if !filepath.IsAbs(file) {
			file = filepath.Join(c.Dir, file)
		}
		certPEM, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("settings.certificate: %w", err)
		}
		cert, err := tls.X509KeyPair(certPEM, c.PrivateKey.Value())
		if err != nil {
			// The parser's error may quote the key: say only where it is.
			return nil, fmt.Errorf("privateKey: %s is not the key of settings.certificate, or not an unencrypted PEM key", c.PrivateKey)
		}
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		cfg.Advertise.HTTPS = true
	}
	z, err := ztp.New(cfg)
	if err != nil {
		return nil, err
	}
	if c.Rehearsal {
		return z, nil // it renders what it would send; routers call a server that listens
	}
	listen := cmp.Or(set.Listen, c.Address)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("the PnP server cannot listen: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := z.Serve(ctx, ln); err != nil {
			log.Error("PnP server stopped", "err", err)
		}
	}()
	log.Info("PnP server listening", "addr", ln.Addr().String(), "option43", z.Option43())
	return &servingZTP{ZTP: z, stop: stop, done: done}, nil
}

// servingZTP is the ZTP adapter with its PnP server running: Close stops
// the server and waits for it, so that the port is free again when the
// run or the server that built it ends.
type servingZTP struct {
	*ztp.ZTP
	stop context.CancelFunc
	done chan struct{}
}

func (z *servingZTP) Close() error {
	z.stop()
	<-z.done
	return nil
}

// closeAdapters closes the adapters that hold something open (a server
// they listen with), once the engine no longer calls them.
func closeAdapters(adapters map[port.System]port.Adapter) {
	for _, a := range adapters {
		if c, ok := a.(io.Closer); ok {
			_ = c.Close()
		}
	}
}

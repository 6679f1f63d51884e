package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/ssh"

	anetconf "github.com/ordertwin/ordertwin/adapters/netconf"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/hint"
	cnetconf "github.com/ordertwin/ordertwin/core/netconf"
	"github.com/ordertwin/ordertwin/core/pnp"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/system"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/ordertwin/ordertwin/twin"
	tnetbox "github.com/ordertwin/ordertwin/twin/netbox"
	tnetconf "github.com/ordertwin/ordertwin/twin/netconf"
	tradius "github.com/ordertwin/ordertwin/twin/radius"
	tstamp "github.com/ordertwin/ordertwin/twin/stamp"
	tztp "github.com/ordertwin/ordertwin/twin/ztp"
)

// twinCmd is `ordertwin twin serve`.
func twinCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const usage = "twin: want `twin serve [--network FILE | SCENARIO] --adapters-out FILE`"
	if len(args) > 0 && isHelp(args[0]) {
		return &helpShown{usage + " (twin serve --help: its flags)\n"}
	}
	if len(args) == 0 || args[0] != "serve" {
		return errors.New(usage)
	}
	return twinServeCmd(ctx, args[1:], stdout, stderr)
}

// twinServeCmd runs the twin's systems on loopback ports, in the
// protocols real ones speak, on one twin with the scenario's fault rules,
// and writes an adapters file pointing at them, until ctx ends.
func twinServeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("twin serve", flag.ContinueOnError)
	network := fs.String("network", "", "the network file to serve (instead of a SCENARIO's network, faults and sites)")
	out := fs.String("adapters-out", "", "write the adapters file pointing at the served systems here (credentials in files beside it)")
	host := fs.String("host", "127.0.0.1", "the address the systems listen on")
	only := fs.String("systems", "", "comma-separated: the systems the adapters file names (all served ones if empty); the others stay the in-process twin of the run that reads it")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *out == "" {
		return errors.New("twin serve: --adapters-out FILE is required: the adapters file to write")
	}
	var opt servedOptions
	switch {
	case len(pos) == 1 && *network == "":
		sc, err := scenarios.Load(pos[0])
		if err != nil {
			return err
		}
		opt = servedOptionsOf(sc)
	case len(pos) == 0 && *network != "":
		if opt.Network, err = twin.LoadNetwork(*network); err != nil {
			return fmt.Errorf("twin serve: --network: %w", err)
		}
	case len(pos) == 0:
		return errors.New("twin serve: give the network to serve: --network FILE, or one SCENARIO (its network)")
	case *network != "":
		return errors.New("twin serve: want --network FILE or one SCENARIO, not both")
	default:
		return fmt.Errorf("twin serve: want one SCENARIO, not %d", len(pos))
	}
	opt.Host, opt.AdaptersOut = *host, *out
	if *only != "" {
		served := []string{"access", "vlan", "ipam", "bng", "ztp", "nms"}
		for _, name := range strings.Split(*only, ",") {
			if !slices.Contains(served, name) {
				return fmt.Errorf("twin serve: --systems: %q is not a system the twin serves (%s)%s", name, strings.Join(served, ", "), hint.DidYouMean(name, served))
			}
			opt.Systems = append(opt.Systems, name)
		}
	}
	opt.Log = slog.New(slog.NewTextHandler(stderr, nil))
	st, err := serveTwin(ctx, opt)
	if err != nil {
		return err
	}
	for _, line := range st.Endpoints {
		fmt.Fprintln(stdout, line)
	}
	fmt.Fprintf(stdout, "adapters file: %s\n", *out)
	fmt.Fprintln(stdout, "serving the twin; interrupt to stop")
	<-ctx.Done()
	st.Close()
	fmt.Fprintln(stdout, "stopped")
	return nil
}

// servedOptions is what serveTwin serves.
type servedOptions struct {
	Network *twin.Network
	Faults  []twin.FaultRule
	Seed    uint64
	// Sites are the sites whose probes the STAMP reflectors answer for
	// (a scenario's): none with a network alone.
	Sites []tstamp.Site
	// Host is the address every system listens on, a free port each.
	Host string
	// AdaptersOut is the adapters file to write; the credentials go into
	// files beside it. Systems, if any, are the systems it names (the
	// others stay with the in-process twin of whoever reads it).
	AdaptersOut string
	Systems     []string
	Log         *slog.Logger
}

// servedOptionsOf is what serving a scenario's twin takes: its network,
// fault rules, seed and the sites of its orders.
func servedOptionsOf(sc *scenarios.Scenario) servedOptions {
	opt := servedOptions{Network: sc.Spec.Network, Faults: sc.Spec.Faults, Seed: sc.Spec.Seed}
	seen := map[string]bool{}
	for _, p := range slices.Concat(sc.Spec.Orders, sc.Spec.Offers) {
		for _, s := range p.Quote.Sites {
			if !seen[s.Code] {
				seen[s.Code] = true
				opt.Sites = append(opt.Sites, tstamp.Site{Code: s.Code, Address: s.Address})
			}
		}
	}
	return opt
}

// servedTwin is the twin served in protocols.
type servedTwin struct {
	Twin *twin.Twin
	// Endpoints are the startup lines: each system and where it listens.
	Endpoints []string
	NetBox    *tnetbox.Server
	RADIUS    *tradius.Server
	// Devices are the OLTs and exchanges served over NETCONF, by name.
	Devices map[string]*tnetconf.Device
	Fleet   *tztp.Fleet
	closers []func()
	// judging serialises the twin's fault rules, judged from the
	// devices' sessions.
	judging sync.Mutex
	stop    context.CancelFunc
	wg      sync.WaitGroup
}

// Close stops every system and waits for them.
func (s *servedTwin) Close() {
	s.stop()
	for _, c := range slices.Backward(s.closers) {
		c()
	}
	s.wg.Wait()
}

// serveTwin starts the twin's systems on free ports of opt.Host and
// writes the adapters file that points at them. The NetBox front-end
// allocates VLANs and subnets from the twin (the allocation authority for
// the systems it serves: docs/adapters.md); the OLTs are NETCONF devices
// with the network's line cards; the BNGs answer CoA for the network's
// subscribers; a STAMP reflector per site writes the twin's delay and loss
// into its timestamps; the CE routers of the stock call home to the ZTP
// adapter's PnP server, at the port the file gives it.
func serveTwin(ctx context.Context, opt servedOptions) (_ *servedTwin, err error) {
	n, log := opt.Network, cmp.Or(opt.Log, slog.Default())
	tw, err := twin.New(n)
	if err != nil {
		return nil, fmt.Errorf("twin serve: %w", err)
	}
	if err := tw.Inject(opt.Faults, opt.Seed, engine.NewPCG); err != nil {
		return nil, fmt.Errorf("twin serve: %w", err)
	}
	ctx, stop := context.WithCancel(ctx)
	s := &servedTwin{Twin: tw, Devices: map[string]*tnetconf.Device{}, stop: stop}
	defer func() {
		if err != nil {
			s.Close()
			err = fmt.Errorf("twin serve: %w", err)
		}
	}()
	dir := filepath.Dir(opt.AdaptersOut)
	base := filepath.Base(opt.AdaptersOut)
	secret := func(name string) (string, error) {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		v := hex.EncodeToString(b)
		return v, os.WriteFile(filepath.Join(dir, base+"."+name), []byte(v+"\n"), 0o600)
	}
	file := map[string]any{}
	listen := func() (net.Listener, error) { return net.Listen("tcp", net.JoinHostPort(opt.Host, "0")) }

	// VLAN and IPAM: NetBox's REST API on the twin's pools.
	token, err := secret("netbox-token")
	if err != nil {
		return nil, err
	}
	if s.NetBox, err = tnetbox.New(tw, token, log.With("system", "netbox")); err != nil {
		return nil, err
	}
	nbln, err := listen()
	if err != nil {
		return nil, err
	}
	s.goServe(func() error { return s.NetBox.Serve(ctx, nbln) }, log)
	url := "http://" + nbln.Addr().String()
	nb := map[string]any{"kind": "netbox", "address": url, "credential": map[string]string{"file": base + ".netbox-token"},
		"settings": map[string]any{"vlanGroups": tnetbox.VLANGroups(n), "prefixLength": 29}}
	file["vlan"], file["ipam"] = nb, nb
	s.Endpoints = append(s.Endpoints, "vlan, ipam: NetBox REST at "+url)

	// BNG: a Dynamic Authorization Server for every BNG of the network.
	rs, err := secret("radius-secret")
	if err != nil {
		return nil, err
	}
	rcfg := tradius.ForNetwork(n, []byte(rs))
	rcfg.Log = log.With("system", "bng")
	if s.RADIUS, err = tradius.New(rcfg); err != nil {
		return nil, err
	}
	addr, err := s.RADIUS.Start(net.JoinHostPort(opt.Host, "0"))
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func() { _ = s.RADIUS.Close() })
	bngs := map[string]any{}
	for _, b := range rcfg.BNGs {
		bngs[b] = map[string]string{"address": addr.String()}
	}
	var templates []map[string]any
	for _, q := range n.QoSTemplates {
		templates = append(templates, map[string]any{"name": q.Name, "speedMbps": q.SpeedMbps, "tier": q.Tier})
	}
	file["bng"] = map[string]any{"kind": "radius", "credential": map[string]string{"file": base + ".radius-secret"},
		"endpoints": bngs, "settings": map[string]any{"sites": tradius.Sites(n), "templates": templates}}
	s.Endpoints = append(s.Endpoints, fmt.Sprintf("bng: RADIUS CoA (DAS) at %s for %d BNG(s)", addr, len(rcfg.BNGs)))

	// Access: a NETCONF server over SSH per OLT, with its line cards, and
	// per exchange, with its P2P handoff ports; the ports in use before
	// any order are configured already. The adapter allocates on them.
	password, err := secret("olt-password")
	if err != nil {
		return nil, err
	}
	devices := map[string]any{}
	serveDevice := func(dev *tnetconf.Device, what string) error {
		srv, err := tnetconf.NewServer(dev, "ordertwin", password, log.With("system", "access", "device", dev.Name))
		if err != nil {
			return err
		}
		addr, err := srv.Start(net.JoinHostPort(opt.Host, "0"))
		if err != nil {
			return err
		}
		s.closers = append(s.closers, func() { _ = srv.Close() })
		s.Devices[dev.Name] = dev
		devices[dev.Name] = map[string]any{"address": addr.String(), "user": "ordertwin",
			"credential": map[string]string{"file": base + ".olt-password"},
			"hostKey":    strings.TrimSpace(string(ssh.MarshalAuthorizedKey(srv.HostKey())))}
		s.Endpoints = append(s.Endpoints, fmt.Sprintf("access: NETCONF over SSH at %s for %s (%s)", addr, dev.Name, what))
		return nil
	}
	for _, o := range n.OLTs {
		dev, err := servedOLT(o)
		if err != nil {
			return nil, err
		}
		dev.Judge = s.judge("OLTPort")
		if err := serveDevice(dev, "OLT"); err != nil {
			return nil, err
		}
	}
	for _, x := range n.Exchanges {
		if x.P2PPorts == 0 {
			continue
		}
		dev, err := servedExchange(x)
		if err != nil {
			return nil, err
		}
		dev.Judge = s.judge("P2PHandoff")
		if err := serveDevice(dev, "exchange"); err != nil {
			return nil, err
		}
	}
	file["access"] = map[string]any{"kind": "netconf", "endpoints": devices, "settings": accessSettings(n)}

	// SLA probe: a STAMP reflector per site.
	if len(opt.Sites) > 0 {
		reflectors := map[string]any{}
		for _, site := range opt.Sites {
			r, err := tstamp.ForSite(n, site, opt.Faults, tstamp.Options{Seed: opt.Seed, Log: log.With("system", "nms", "site", site.Code)})
			if err != nil {
				return nil, err
			}
			addr, err := r.Start(net.JoinHostPort(opt.Host, "0"))
			if err != nil {
				return nil, err
			}
			s.closers = append(s.closers, r.Close)
			reflectors[site.Code] = map[string]string{"address": addr.String()}
			s.Endpoints = append(s.Endpoints, fmt.Sprintf("nms: STAMP reflector at %s for %s", addr, site.Code))
		}
		file["nms"] = map[string]any{"kind": "stamp", "endpoints": reflectors,
			"settings": map[string]any{"count": 20, "interval": "1ms", "wait": "500ms"}}
	}

	// ZTP: the adapter is the PnP server; the CE routers call home to the
	// port the file gives it, each until configured, calling again while
	// the server is not there.
	pnpln, err := listen()
	if err != nil {
		return nil, err
	}
	pnpAddr := pnpln.Addr().(*net.TCPAddr)
	_ = pnpln.Close() // the adapter listens there
	pnpPassword, err := secret("pnp-password")
	if err != nil {
		return nil, err
	}
	option43 := pnp.Discovery{Host: opt.Host, Port: pnpAddr.Port}.Option43()
	ended := make(chan tztp.Ended, 16)
	if s.Fleet, err = tztp.NewFleet(n.CPE, tztp.Config{Option43: option43, User: "pnp", Password: pnpPassword, Ended: ended}); err != nil {
		return nil, err
	}
	s.goServe(func() error { return s.Fleet.Serve(ctx) }, log)
	var serials []string
	for _, stock := range n.CPE {
		serials = append(serials, stock.Serials...)
	}
	for _, serial := range serials {
		if err := s.Fleet.Install(serial); err != nil {
			return nil, err
		}
	}
	s.goServe(func() error { return s.callAgain(ctx, ended, log) }, log)
	file["ztp"] = map[string]any{"kind": "ztp", "address": pnpAddr.String(), "user": "pnp",
		"credential": map[string]string{"file": base + ".pnp-password"}, "settings": map[string]any{"backoff": "1s"}}
	s.Endpoints = append(s.Endpoints, fmt.Sprintf("ztp: %d CE router(s) calling home to the PnP server at %s (option 43 %s)", len(serials), pnpAddr, option43))

	// One call at a time, answered in order, to every system: NetBox then
	// allocates in the order the run asks (the answers of the others
	// order the calls that follow them), as the in-process twin does. Not
	// to ztp, which allocates nothing and whose commit waits days for its
	// router: a release that ends it (a site given up) would queue behind
	// it until its timeout.
	for name, entry := range file {
		if name != "ztp" {
			entry.(map[string]any)["ordered"] = true
		}
	}
	if len(opt.Systems) > 0 {
		for name := range file {
			if !slices.Contains(opt.Systems, name) {
				delete(file, name)
			}
		}
	}
	if err := writeAdaptersFile(opt.AdaptersOut, file); err != nil {
		return nil, err
	}
	return s, nil
}

// callAgain has a router whose call home ended without its configuration
// (the PnP server not there yet) call again a second later, until ctx
// ends.
func (s *servedTwin) callAgain(ctx context.Context, ended <-chan tztp.Ended, log *slog.Logger) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-ended:
			if e.Err == nil || errors.Is(e.Err, tztp.ErrLost) {
				continue
			}
			log.Debug("CE router calls again", "serial", e.Serial, "err", e.Err)
			go func() {
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
					_ = s.Fleet.Install(e.Serial)
				}
			}()
		}
	}
}

// goServe runs serve until it returns, logging an error.
func (s *servedTwin) goServe(serve func() error, log *slog.Logger) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := serve(); err != nil {
			log.Error("twin serve", "err", err)
		}
	}()
}

// writeAdaptersFile writes the adapters file of the served systems and
// loads it back: what it writes is an adapters file run and serve take.
func writeAdaptersFile(path string, systems map[string]any) error {
	body, err := yaml.Marshal(map[string]any{"systems": systems})
	if err != nil {
		return err
	}
	head := "# Written by ordertwin twin serve: the twin's systems on loopback\n" +
		"# (docs/adapters.md). The credentials are in the files beside it.\n"
	if err := os.WriteFile(path, append([]byte(head), body...), 0o600); err != nil {
		return err
	}
	_, err = system.LoadAdapters(path, adapterKinds)
	return err
}

// servedOLT is an OLT's NETCONF device: its line cards, and an ONT's
// v-ANI on each port the network has in use before any order.
func servedOLT(o twin.OLT) (*tnetconf.Device, error) {
	var cards []tnetconf.Card
	for _, c := range o.LineCards {
		cards = append(cards, tnetconf.Card{Slot: c.Slot, Ports: c.Ports})
	}
	dev, err := tnetconf.NewDevice(o.ID, cards, tnetconf.WallClock{})
	if err != nil {
		return nil, err
	}
	for _, c := range o.LineCards {
		for _, p := range c.OccupiedPorts() {
			e, err := anetconf.Render(port.Reserve, anetconf.Service{Item: inService, OLT: o.ID, Slot: c.Slot, Port: p, ONUID: 1})
			if err != nil {
				return nil, err
			}
			if err := dev.Load(e.Config); err != nil {
				return nil, err
			}
		}
	}
	return dev, nil
}

// servedExchange is an exchange's switch: its P2P handoff ports, those
// the network has in use described as such.
func servedExchange(x twin.Exchange) (*tnetconf.Device, error) {
	dev, err := tnetconf.NewExchange(x.ID, x.P2PPorts, tnetconf.WallClock{})
	if err != nil {
		return nil, err
	}
	for _, p := range x.OccupiedPorts() {
		e, err := anetconf.RenderHandoff(port.Commit, anetconf.Handoff{Item: inService, Exchange: x.ID, Port: p})
		if err != nil {
			return nil, err
		}
		if err := dev.Load(e.Config); err != nil {
			return nil, err
		}
	}
	return dev, nil
}

// inService describes the ports in use before the twin started.
const inService = "in service"

// accessSettings are the netconf adapter's settings for the network: its
// serving areas (their OLTs, in the network's order, and exchange) and the
// area of each address, so that the adapter allocates ports as the twin
// does.
func accessSettings(n *twin.Network) map[string]any {
	areas, addresses := map[string]any{}, map[string]string{}
	for _, a := range n.ServingAreas {
		var olts []string
		for _, o := range n.OLTs {
			if o.Area == a.ID {
				olts = append(olts, o.ID)
			}
		}
		area := map[string]any{}
		if len(olts) > 0 {
			area["olts"] = olts
		}
		for _, x := range n.Exchanges {
			if x.ID == a.Exchange && x.P2PPorts > 0 {
				area["exchange"] = x.ID
			}
		}
		areas[a.ID] = area
	}
	for _, a := range n.Addresses {
		addresses[a.Address] = a.Area
	}
	return map[string]any{"areas": areas, "addresses": addresses}
}

// judge is a served device's judge of the scenario's fault rules for the
// access system: each edit is a call — a reserve, commit or release of a
// resource of type resourceType, told apart by what it edits — judged
// at T+0 (the served twin has no clock of the run's: rules with a time
// window or an after are judged as at the start; rules aimed at a site
// match no served call). A failure is answered as the rpc-error a device
// would give for it, which the adapter classifies back into the same
// class.
func (s *servedTwin) judge(resourceType string) func(edit []byte) *cnetconf.Error {
	return func(edit []byte) *cnetconf.Error {
		req := &port.Request{System: port.Access, Op: editOp(edit), ResourceType: resourceType}
		s.judging.Lock()
		perr := s.Twin.Judge(0, req)
		s.judging.Unlock()
		if perr == nil {
			return nil
		}
		return rpcErrorOf(perr)
	}
}

// editOp tells an access edit's operation by what it does: a release
// removes, a reserve creates disabled, a commit enables.
func editOp(edit []byte) port.Op {
	switch {
	case bytes.Contains(edit, []byte(`operation="remove"`)):
		return port.Release
	case bytes.Contains(edit, []byte("<enabled>false</enabled>")):
		return port.Reserve
	}
	return port.Commit
}

// rpcErrorOf is the rpc-error (RFC 6241 appendix A) a device answers a
// failure with: transient as operation-failed, exhausted as
// resource-denied, invalid as invalid-value, hard as in-use.
func rpcErrorOf(e *port.Error) *cnetconf.Error {
	tag := cnetconf.InUse
	switch e.Class {
	case port.Transient:
		tag = cnetconf.OperationFailed
	case port.Exhausted:
		tag = cnetconf.ResourceDenied
	case port.Invalid:
		tag = cnetconf.InvalidValue
	}
	return &cnetconf.Error{Type: "application", Tag: tag, Message: e.Message}
}

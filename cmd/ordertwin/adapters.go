package main

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ordertwin/ordertwin/adapters/netbox"
	"github.com/ordertwin/ordertwin/adapters/netconf"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/system"
)

// adapterKinds are the kinds of real adapter an adapters file may name
// (docs/adapters.md), each one entry: the systems it serves, the settings
// it takes, and how it is built from its entry.
var adapterKinds = map[string]system.Kind{
	"netconf": {Systems: []port.System{port.Access}, Settings: []string{"uplink", "confirmTimeout"}, New: newNETCONFAccess},
	"netbox":  {Systems: []port.System{port.VLAN, port.IPAM}, Settings: []string{"vlanGroup", "prefixLength"}, New: newNetBox},
}

// loadAdapters reads an adapters file ("": none) and builds its real
// adapters, logging which adapter serves each system it names.
func loadAdapters(cmd, path string, log *slog.Logger) (adapters map[port.System]port.Adapter, outside bool, err error) {
	if path == "" {
		return nil, false, nil
	}
	file, err := system.LoadAdapters(path, adapterKinds)
	if err != nil {
		return nil, false, fmt.Errorf("%s: --adapters: %w", cmd, err)
	}
	if adapters, err = file.Build(log); err != nil {
		return nil, false, fmt.Errorf("%s: --adapters: %w", cmd, err)
	}
	log.Info("adapters", "file", path, "systems", file.Describe())
	return adapters, file.Outside(), nil
}

// newNETCONFAccess is the access adapter over NETCONF (adapters/netconf):
// an endpoint per OLT, by the OLT's name, each with its user, password
// (credential) or private key, and host key.
func newNETCONFAccess(c system.AdapterConfig, log *slog.Logger) (port.Adapter, error) {
	if c.Address != "" || len(c.Endpoints) == 0 {
		return nil, errors.New("a netconf adapter connects to each OLT by its name: give endpoints, one per OLT")
	}
	cfg := netconf.Config{OLTs: map[string]netconf.Endpoint{}, Timeout: c.Timeout, Concurrency: c.Concurrency,
		Uplink: c.Settings["uplink"], Log: log}
	if v, ok := c.Settings["confirmTimeout"]; ok {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("settings.confirmTimeout: %q: want a duration such as 60s", v)
		}
		cfg.ConfirmTimeout = d
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
		e := netconf.Endpoint{Addr: ep.Address, User: ep.User, HostKey: hostKey}
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
		cfg.OLTs[name] = e
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
	cfg := netbox.Config{URL: c.Address, TokenFile: c.Credential.File, TokenEnv: c.Credential.Env,
		VLANGroup: c.Settings["vlanGroup"], Timeout: c.Timeout, Concurrency: c.Concurrency, Log: log}
	if v, ok := c.Settings["prefixLength"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 32 {
			return nil, fmt.Errorf("settings.prefixLength: %q: want a prefix length from 1 to 32", v)
		}
		cfg.PrefixLength = n
	}
	return netbox.New(cfg)
}

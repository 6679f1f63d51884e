package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/adapters/netbox"
	"github.com/ordertwin/ordertwin/adapters/netconf"
	"github.com/ordertwin/ordertwin/adapters/radius"
	"github.com/ordertwin/ordertwin/adapters/stamp"
	"github.com/ordertwin/ordertwin/adapters/ztp"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/system"
)

// oltPassword is the tests' OLT password: no output may show it.
const oltPassword = "olt-pa55word-never-shown"

// The example adapters file of the docs loads: the access system is the
// NETCONF adapter, IPAM the NetBox adapter, the rest the twin; what it
// logs names the endpoints, never a password or token.
func TestAdaptersExample(t *testing.T) {
	t.Setenv("ORDERTWIN_OLT_PASSWORD", oltPassword)
	t.Setenv("ORDERTWIN_NETBOX_TOKEN", oltPassword+"-token")
	t.Setenv("ORDERTWIN_RADIUS_SECRET", oltPassword+"-radius")
	var logged bytes.Buffer
	adapters, file, err := loadAdapters("serve", "../../docs/examples/adapters.yaml", slog.New(slog.NewTextHandler(&logged, nil)))
	require.NoError(t, err)
	assert.True(t, file.Outside())
	// The engine waits for each as long as it may take in real time (the
	// file's timeout or 30s), doubled, on a clock of a day a second.
	deadlines := file.Deadlines(86400, outsideTimeout)
	assert.Equal(t, 60*24*time.Hour, deadlines[port.Access], "timeout 30s")
	assert.Equal(t, 20*24*time.Hour, deadlines[port.BNG], "timeout 10s")
	assert.Equal(t, 60*24*time.Hour, deadlines[port.NMS], "no timeout: 30s")
	assert.NotContains(t, deadlines, port.VLAN, "the twin's")
	assert.Equal(t, 2*time.Minute, file.Deadlines(1, time.Second)[port.NMS], "at least the engine's default")
	assert.Equal(t, 600*24*time.Hour, file.Deadlines(864000, outsideTimeout)[port.Access],
		"at ten days a second, past a year: the adapter's 30 s still come first")
	require.Len(t, adapters, 4)
	assert.IsType(t, &netconf.Access{}, adapters[port.Access])
	assert.IsType(t, &netbox.Adapter{}, adapters[port.IPAM])
	assert.IsType(t, &radius.BNG{}, adapters[port.BNG])
	assert.IsType(t, &stamp.Probe{}, adapters[port.NMS])
	assert.Contains(t, logged.String(), "bng=radius (BNG-MEL-01@bng-mel-01.example.net:3799)")
	assert.Contains(t, logged.String(), "nms=stamp (MELB@reflector-melb.example.net:862)")
	assert.Contains(t, logged.String(), "access=netconf (OLT-SOUTH-03@olt-south-03.example.net:830)")
	assert.Contains(t, logged.String(), "ipam=netbox (https://netbox.example.net)")
	assert.Contains(t, logged.String(), "vlan=twin")
	assert.NotContains(t, logged.String(), oltPassword)
}

// runOut runs `ordertwin run` and returns its standard output and error.
func runOut(args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	err = dispatch(context.Background(), append([]string{"run"}, args...), &out, &errOut)
	return out.String(), errOut.String(), err
}

// An adapters file that names only the twin changes nothing: the same
// report, byte for byte, as without one (architecture §2: same scenario
// and seed, same report).
func TestRunAdaptersTwinOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "adapters.yaml")
	require.NoError(t, os.WriteFile(path, []byte("systems:\n  access: {kind: twin}\n  vlan: {kind: twin}\n"), 0o600))
	want, _, err := runOut(example, "--format", "json")
	require.NoError(t, err)
	got, logged, err := runOut(example, "--format", "json", "--adapters", path)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Contains(t, logged, "access=twin")
}

// A wrong adapters file stops run before anything runs, naming what is
// wrong; no error shows a secret.
func TestRunAdaptersErrors(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "olt.key")
	require.NoError(t, os.WriteFile(keyFile, []byte(oltPassword), 0o600))
	t.Setenv("ORDERTWIN_OLT_PASSWORD", oltPassword)
	hostKey := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBKCZ/ogJi2PEXc24EGkCwnTq2D4VQ+VgSNtmDMM/2IH"
	olt := func(endpoint string) string {
		return "systems:\n  access:\n    kind: netconf\n    endpoints:\n      OLT-SOUTH-03: " + endpoint + "\n"
	}
	tests := []struct {
		name, file string
		args       []string
		want       string
	}{
		{"unknown kind", "systems:\n  bng:\n    kind: radious\n", nil,
			`line 3: systems.bng.kind: unknown kind "radious" (did you mean "radius"?) (the kinds: twin, netbox, netconf, radius, stamp, ztp)`},
		{"unknown system", "systems:\n  olt: {kind: netconf}\n", nil,
			`line 2: systems.olt: no such system`},
		{"missing endpoint", "systems:\n  access: {kind: netconf}\n", nil,
			`line 2: systems.access: kind netconf needs an endpoint: give address, or endpoints`},
		{"one address for many OLTs", "systems:\n  access: {kind: netconf, address: x:830, user: ot, credential: {env: ORDERTWIN_OLT_PASSWORD}}\n", nil,
			`systems.access: a netconf adapter connects to each OLT by its name: give endpoints, one per OLT`},
		{"missing environment variable", olt("{address: x:830, user: ot, credential: {env: ORDERTWIN_OLT_UNSET}, hostKey: " + hostKey + "}"), nil,
			`line 5: systems.access.endpoints.OLT-SOUTH-03.credential: the environment variable ORDERTWIN_OLT_UNSET is not set`},
		{"missing credential file", olt("{address: x:830, user: ot, credential: {file: nowhere}, hostKey: " + hostKey + "}"), nil,
			`systems.access.endpoints.OLT-SOUTH-03.credential: the file ` + filepath.Join(dir, "nowhere") + `: no such file or directory`},
		{"no host key", olt("{address: x:830, user: ot, credential: {env: ORDERTWIN_OLT_PASSWORD}}"), nil,
			`systems.access: endpoints.OLT-SOUTH-03: no hostKey`},
		{"bad host key", olt("{address: x:830, user: ot, credential: {env: ORDERTWIN_OLT_PASSWORD}, hostKey: " + oltPassword + "}"), nil,
			`systems.access: endpoints.OLT-SOUTH-03.hostKey: not an SSH public key in authorized_keys format`},
		{"private key that is not one", olt("{address: x:830, user: ot, privateKey: {file: olt.key}, hostKey: " + hostKey + "}"), nil,
			`systems.access: endpoints.OLT-SOUTH-03.privateKey: the secret in ` + keyFile + ` is not an unencrypted private key`},
		{"bad setting", olt("{address: x:830, user: ot, credential: {env: ORDERTWIN_OLT_PASSWORD}, hostKey: "+hostKey+"}") + "    settings: {confirmTimeout: soon}\n", nil,
			`line 6: systems.access.settings.confirmTimeout: "soon" is not a duration such as 90s or 5m`},
		{"negative afterHello", olt("{address: x:830, user: ot, credential: {env: ORDERTWIN_OLT_PASSWORD}, hostKey: "+hostKey+"}") + "    settings: {afterHello: -1s}\n", nil,
			`line 6: systems.access.settings.afterHello: -1s: want a duration of zero or more, such as 200ms`},
		{"maxReply not a size", olt("{address: x:830, user: ot, credential: {env: ORDERTWIN_OLT_PASSWORD}, hostKey: "+hostKey+"}") + "    settings: {maxReply: 4MB}\n", nil,
			`line 6: systems.access.settings.maxReply: "4MB": want a size such as 512MiB or 1GiB (KiB, MiB, GiB, or bytes)`},
		{"maxReply too small", olt("{address: x:830, user: ot, credential: {env: ORDERTWIN_OLT_PASSWORD}, hostKey: "+hostKey+"}") + "    settings: {maxReply: 1KiB}\n", nil,
			`line 6: systems.access.settings.maxReply: 1KiB: want 65536 bytes or more (a hello and a reply to a lock must fit)`},
		{"netbox without a token", "systems:\n  ipam: {kind: netbox, address: 'https://netbox.example.net'}\n", nil,
			`systems.ipam: give a credential: the NetBox API token`},
		{"netbox prefix length", "systems:\n  ipam: {kind: netbox, address: 'https://netbox.example.net', credential: {env: ORDERTWIN_OLT_PASSWORD}, settings: {prefixLength: 33}}\n", nil,
			`line 2: systems.ipam.settings.prefixLength: 33: want a prefix length from 1 to 32`},
		{"netbox for the access system", "systems:\n  access: {kind: netbox, address: 'https://netbox.example.net'}\n", nil,
			`line 2: systems.access.kind: kind netbox serves vlan and ipam, not access`},
		{"radius with one address", "systems:\n  bng: {kind: radius, address: 'x:3799', credential: {env: ORDERTWIN_OLT_PASSWORD}}\n", nil,
			`systems.bng: a radius adapter sends to each BNG by its name: give endpoints, one per BNG`},
		{"radius without a secret", "systems:\n  bng: {kind: radius, endpoints: {BNG-MEL-01: {address: 'x:3799'}}}\n", nil,
			`systems.bng: give a credential: the RADIUS shared secret`},
		{"radius site of no endpoint", "systems:\n  bng:\n    kind: radius\n    credential: {env: ORDERTWIN_OLT_PASSWORD}\n    endpoints: {BNG-MEL-01: {address: 'x:3799'}}\n    settings:\n      sites: {MELB: BNG-MEL-02}\n", nil,
			`systems.bng: settings.sites: "MELB" is served by "BNG-MEL-02", which is not one of the endpoints`},
		{"radius template without a speed", "systems:\n  bng:\n    kind: radius\n    credential: {env: ORDERTWIN_OLT_PASSWORD}\n    endpoints: {BNG-MEL-01: {address: 'x:3799'}}\n    settings:\n      templates:\n        - {name: BW-500, tier: Gold}\n", nil,
			`line 7: systems.bng.settings.templates: template 1 needs a name, a speedMbps above 0 and a tier`},
		{"radius template with a wrong key", "systems:\n  bng:\n    kind: radius\n    credential: {env: ORDERTWIN_OLT_PASSWORD}\n    endpoints: {BNG-MEL-01: {address: 'x:3799'}}\n    settings:\n      templates:\n        - {name: BW-500, speed: 500, tier: Gold}\n", nil,
			`line 8: systems.bng.settings.templates[0]: unknown key "speed" (did you mean "speedMbps"?) (the keys here: name, speedMbps, tier)`},
		{"stamp count", "systems:\n  nms:\n    kind: stamp\n    endpoints: {MELB: {address: 'x:862'}}\n    settings: {count: -3}\n", nil,
			`line 5: systems.nms.settings.count: -3: want a number of packets from 1 to 1048576`},
		{"stamp interval", "systems:\n  nms:\n    kind: stamp\n    endpoints: {MELB: {address: 'x:862'}}\n    settings:\n      interval: often\n", nil,
			`line 6: systems.nms.settings.interval: "often" is not a duration such as 90s or 5m`},
		// Taken, and read, and never used.
		{"stamp with a credential", "systems:\n  nms:\n    kind: stamp\n    endpoints: {MELB: {address: 'x:862', credential: {env: ORDERTWIN_OLT_PASSWORD}}}\n", nil,
			`systems.nms.endpoints.MELB: kind stamp logs in to nothing: it takes no user, credential or privateKey`},
		// A release waited behind the commit it ends.
		{"ztp ordered", "systems:\n  ztp: {kind: ztp, address: 'pnp.example.net:9090', ordered: true}\n", nil,
			`systems.ztp.ordered: kind ztp is not ordered: a release would wait behind the commit it ends`},
		{"ztp without a port", "systems:\n  ztp: {kind: ztp, address: pnp.example.net}\n", nil,
			`systems.ztp: address "pnp.example.net": want host:port, where routers reach the PnP server`},
		{"ztp key without a certificate", "systems:\n  ztp: {kind: ztp, address: 'pnp.example.net:9443', privateKey: {file: olt.key}}\n", nil,
			`systems.ztp: HTTPS needs both privateKey (the server's key) and settings.certificate`},
		{"ztp key that is not the certificate's", "systems:\n  ztp: {kind: ztp, address: 'pnp.example.net:9443', privateKey: {file: olt.key}, settings: {certificate: olt.key}}\n", nil,
			`systems.ztp: privateKey: the secret in ` + keyFile + ` is not the key of settings.certificate, or not an unencrypted PEM key`},
		{"netbox address with a password", "systems:\n  ipam: {kind: netbox, address: 'http://admin:" + oltPassword + "@netbox.example.net', credential: {env: ORDERTWIN_OLT_PASSWORD}}\n", nil,
			`line 2: systems.ipam.address: a user or password in the URL: give the credential as credential: {file: …} or {env: …}`},
		{"netbox address with /api", "systems:\n  ipam: {kind: netbox, address: 'https://netbox.example.net/api/', credential: {env: ORDERTWIN_OLT_PASSWORD}}\n", nil,
			`line 2: systems.ipam.address: "https://netbox.example.net/api/": give NetBox's URL without /api (the adapter adds it: https://netbox.example.net/api/ipam/…)`},
		{"netbox address that is no URL", "systems:\n  ipam: {kind: netbox, address: 'netbox.example.net:443', credential: {env: ORDERTWIN_OLT_PASSWORD}}\n", nil,
			`line 2: systems.ipam.address: "netbox.example.net:443": want an http:// or https:// URL with a host`},
		{"netconf address without a port", olt("{address: 127.0.0.1, user: ot, credential: {env: ORDERTWIN_OLT_PASSWORD}, hostKey: " + hostKey + "}"), nil,
			`systems.access.endpoints.OLT-SOUTH-03.address: "127.0.0.1": want host:port (missing port in address)`},
		{"stamp address with too many colons", "systems:\n  nms:\n    kind: stamp\n    endpoints: {MELB: {address: 'not a host:port:x'}}\n", nil,
			`line 4: systems.nms.endpoints.MELB.address: "not a host:port:x": want host:port (too many colons in address)`},
		{"radius address with a port that is no number", "systems:\n  bng:\n    kind: radius\n    credential: {env: ORDERTWIN_OLT_PASSWORD}\n    endpoints: {BNG-MEL-01: {address: 'x:coa'}}\n", nil,
			`systems.bng.endpoints.BNG-MEL-01.address: "x:coa": want host:port, the port a number from 1 to 65535`},
		{"outside adapter on the virtual clock", olt("{address: x:830, user: ot, credential: {env: ORDERTWIN_OLT_PASSWORD}, hostKey: " + hostKey + "}"), []string{"--clock", "virtual"},
			`run: --clock virtual: the adapters file names systems outside this process, which answer on the wall clock`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "adapters.yaml")
			require.NoError(t, os.WriteFile(path, []byte(tt.file), 0o600))
			out, logged, err := runOut(append([]string{example, "--adapters", path}, tt.args...)...)
			require.Error(t, err)
			assert.Equal(t, 2, status(err), "bad input")
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, out, "nothing ran")
			for _, s := range []string{err.Error(), out, logged} {
				assert.NotContains(t, s, oltPassword)
			}
		})
	}
}

// serve takes an adapters file: it serves with the real adapters the file
// names, its log says which (never the password); a wrong file stops it
// before it opens its store.
func TestServeAdapters(t *testing.T) {
	t.Setenv("ORDERTWIN_OLT_PASSWORD", oltPassword)
	t.Setenv("ORDERTWIN_NETBOX_TOKEN", oltPassword)
	t.Setenv("ORDERTWIN_RADIUS_SECRET", oltPassword)
	db := filepath.Join(t.TempDir(), "serve.db")
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	var logs bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- serveCmd(ctx, []string{"--db", db, "--addr", "127.0.0.1:0", "--adapters", "../../docs/examples/adapters.yaml"}, w, &logs)
		w.Close()
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	require.NoError(t, err, "serve stopped before it served")
	assert.Contains(t, line, "serving")
	go func() { _, _ = io.Copy(io.Discard, r) }()
	cancel()
	require.NoError(t, <-done)
	assert.Contains(t, logs.String(), `"systems":["access=netconf (OLT-SOUTH-03@olt-south-03.example.net:830)","vlan=twin","bng=radius (BNG-MEL-01@bng-mel-01.example.net:3799)","ipam=netbox (https://netbox.example.net)","nms=stamp (MELB@reflector-melb.example.net:862)"]`)
	assert.NotContains(t, logs.String(), oltPassword)

	bad := filepath.Join(t.TempDir(), "adapters.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("systems:\n  access: {kind: netconf, endpoints: {OLT-1: {address: x:830, credential: {env: ORDERTWIN_OLT_UNSET}}}}\n"), 0o600))
	other := filepath.Join(t.TempDir(), "other.db")
	err = serveCmd(context.Background(), []string{"--db", other, "--addr", "127.0.0.1:0", "--adapters", bad}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "serve: --adapters: adapters file "+bad+": line 2: systems.access.endpoints.OLT-1.credential: the environment variable ORDERTWIN_OLT_UNSET is not set")
	assert.NoFileExists(t, other, "nothing opened")
	assert.NoFileExists(t, other+".issuer.pem", "no key written")
}

// A ztp entry naming no timeout is held to the kind's own (a router takes
// days to ship and call home), not the 30 s of the other kinds: at the
// wall clock's scale 1 the engine waits two weeks, so the adapter's own
// "did not call home" (lost: another is shipped) comes first.
func TestZTPDeadlineIsTheKinds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "adapters.yaml")
	require.NoError(t, os.WriteFile(path, []byte("systems:\n  ztp: {kind: ztp, address: '127.0.0.1:18840'}\n"), 0o600))
	file, err := system.LoadAdapters(path, adapterKinds)
	require.NoError(t, err)
	assert.Equal(t, 2*ztp.DefaultTimeout, file.Deadlines(1, outsideTimeout)[port.ZTP])
}

// The VLAN is reserved in NetBox by the vlan system and configured by
// the bng system's commit: once the run is done, NetBox holds every
// site's VLAN active, as it holds every prefix, not still reserved.
func TestServedVLANsEndActiveInNetBox(t *testing.T) {
	served, path := serveScenario(t, example, "vlan", "ipam", "bng")
	defer served.Close()
	got, _, err := runOut(example, "--format", "json", "--adapters", path, "--scale", "1e6")
	if err != nil {
		require.Contains(t, err.Error(), "expectation(s) failed") // the timeline's, on the wall clock
	}
	require.Contains(t, got, `"outcome": "completed"`)
	tok, err := os.ReadFile(path + ".netbox-token")
	require.NoError(t, err)
	statuses := map[string]int{}
	for _, list := range []string{"vlans", "prefixes"} {
		req := httptest.NewRequest(http.MethodGet, "/api/ipam/"+list+"/?limit=1000", nil)
		req.Header.Set("Authorization", "Token "+strings.TrimSpace(string(tok)))
		rec := httptest.NewRecorder()
		served.NetBox.Handler().ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var page struct {
			Results []struct {
				Status      struct{ Value string }
				Description string
			}
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &page))
		for _, r := range page.Results {
			if strings.HasPrefix(r.Description, "ROI-") {
				statuses[list+" "+r.Status.Value]++
			}
		}
	}
	assert.Equal(t, map[string]int{"vlans active": 5, "prefixes active": 5}, statuses)
}

package system_test

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/system"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// secret is the credential the tests' files and environment hold: no
// error may show it.
const secret = "s3cr3t-olt-password"

// probe is a real adapter's stand-in: what it was built from.
type probe struct{ cfg system.AdapterConfig }

func (p *probe) Call(now time.Duration, req *port.Request, reply port.Replier) {}

// oltSettings are the olt kind's settings: structured, and checked once
// decoded.
type oltSettings struct {
	Uplink string `yaml:"uplink"`
	Cards  []struct {
		Slot  int      `yaml:"slot"`
		Ports []string `yaml:"ports"`
	} `yaml:"cards"`
	Retry time.Duration `yaml:"retry"`
}

func (s *oltSettings) Check() error {
	if s.Retry > time.Minute {
		return &system.SettingError{Key: "retry", Problem: "at most 1m"}
	}
	return nil
}

// kinds is a registry of one kind of real adapter, for the access system,
// and one whose builder fails, quoting nothing of its entry.
var kinds = map[string]system.Kind{
	"olt": {Systems: []port.System{port.Access}, Settings: func() any { return &oltSettings{} },
		New: func(c system.AdapterConfig, _ *slog.Logger) (port.Adapter, error) { return &probe{c}, nil }},
	"ipam-rest": {Systems: []port.System{port.VLAN, port.IPAM},
		New: func(c system.AdapterConfig, _ *slog.Logger) (port.Adapter, error) {
			return nil, errors.New("the server's address is not a URL")
		}},
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

// An adapters file gives each system it names its adapter: the real ones
// built with their secrets read (a file relative to the adapters file, an
// environment variable), the twin's left to the caller.
func TestLoadAdapters(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "olt.pw", secret+"\n")
	t.Setenv("ORDERTWIN_TEST_TOKEN", "token-value")
	path := writeFile(t, dir, "adapters.yaml", `
systems:
  access:
    kind: olt
    timeout: 20s
    concurrency: 2
    settings:
      uplink: uplink-2
      cards:
        - {slot: 1, ports: [pon-1, pon-2]}
    endpoints:
      OLT-SOUTH-03: {address: "10.0.0.3:830", user: ot, credential: {file: olt.pw}}
      OLT-NORTH-01: {address: "10.0.0.4:830", user: ot, credential: {env: ORDERTWIN_TEST_TOKEN}}
  billing:
    kind: twin
`)
	file, err := system.LoadAdapters(path, kinds)
	require.NoError(t, err)
	assert.True(t, file.Outside())
	assert.Equal(t, []string{"access=olt (OLT-NORTH-01@10.0.0.4:830, OLT-SOUTH-03@10.0.0.3:830)", "billing=twin"}, file.Describe())
	built, err := file.Build(slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.Len(t, built, 1, "the twin's systems are the caller's")
	p, ok := built[port.Access].(*probe)
	require.True(t, ok)
	assert.Equal(t, port.Access, p.cfg.System)
	assert.Equal(t, 20*time.Second, p.cfg.Timeout)
	assert.Equal(t, 2, p.cfg.Concurrency)
	olt, ok := p.cfg.Settings.Value().(*oltSettings)
	require.True(t, ok, "the kind's own settings value")
	assert.Equal(t, "uplink-2", olt.Uplink)
	require.Len(t, olt.Cards, 1)
	assert.Equal(t, []string{"pon-1", "pon-2"}, olt.Cards[0].Ports)
	south := p.cfg.Endpoints["OLT-SOUTH-03"].Credential
	assert.Equal(t, secret, string(south.Value()), "the file's content, without its newline")
	assert.Equal(t, "token-value", string(p.cfg.Endpoints["OLT-NORTH-01"].Credential.Value()))
	// Printed or logged, a secret says where it is, not what.
	for _, s := range []string{fmt.Sprint(south), fmt.Sprintf("%v %+v %#v", p.cfg, p.cfg, p.cfg), south.LogValue().String()} {
		assert.NotContains(t, s, secret)
	}

	twinOnly := writeFile(t, dir, "twin.yaml", "systems:\n  access: {kind: twin}\n")
	file, err = system.LoadAdapters(twinOnly, kinds)
	require.NoError(t, err)
	assert.False(t, file.Outside())
	built, err = file.Build(slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	assert.Empty(t, built)
}

// A wrong adapters file is refused with the file, the line and the key at
// fault, and what is wrong; never with a secret's value.
func TestLoadAdaptersErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "olt.pw", secret)
	writeFile(t, dir, "empty.pw", "\n")
	t.Setenv("ORDERTWIN_TEST_SECRET", secret)
	good := `{address: "10.0.0.3:830", user: ot, credential: {file: olt.pw}}`
	tests := []struct {
		name, body string
		want       []string
	}{
		{"unknown system", "systems:\n  acess: {kind: twin}\n",
			[]string{`line 2: systems.acess: no such system (did you mean "access"?) (the systems: qualification, credit, workflow, access,`}},
		{"unknown kind", "systems:\n  access:\n    kind: netconff\n",
			[]string{`line 3: systems.access.kind: unknown kind "netconff" (the kinds: twin, ipam-rest, olt)`}},
		{"near kind", "systems:\n  access:\n    kind: olr\n",
			[]string{`line 3: systems.access.kind: unknown kind "olr" (did you mean "olt"?)`}},
		{"no kind", "systems:\n  access: {timeout: 5s}\n",
			[]string{`line 2: systems.access: no kind (the kinds: twin, ipam-rest, olt)`}},
		{"kind for another system", "systems:\n  bng:\n    kind: olt\n    endpoints: {BNG-1: " + good + "}\n",
			[]string{`line 3: systems.bng.kind: kind olt serves access, not bng`}},
		{"missing endpoint", "systems:\n  access:\n    kind: olt\n    timeout: 5s\n",
			[]string{`line 2: systems.access: kind olt needs an endpoint: give address, or endpoints`}},
		{"endpoint without address", "systems:\n  access:\n    kind: olt\n    endpoints:\n      OLT-SOUTH-03: {user: ot, credential: {env: ORDERTWIN_TEST_SECRET}}\n",
			[]string{`line 5: systems.access.endpoints.OLT-SOUTH-03: no address`}},
		{"missing credential file", "systems:\n  access:\n    kind: olt\n    endpoints:\n      OLT-SOUTH-03:\n        address: x:830\n        credential: {file: nowhere.pw}\n",
			[]string{`line 7: systems.access.endpoints.OLT-SOUTH-03.credential: the file ` + filepath.Join(dir, "nowhere.pw") + `: no such file or directory`}},
		{"empty credential file", "systems:\n  access:\n    kind: olt\n    address: x:830\n    credential: {file: empty.pw}\n",
			[]string{`line 5: systems.access.credential: the file ` + filepath.Join(dir, "empty.pw") + ` is empty`}},
		{"missing environment variable", "systems:\n  access:\n    kind: olt\n    address: x:830\n    credential: {env: ORDERTWIN_TEST_UNSET}\n",
			[]string{`line 5: systems.access.credential: the environment variable ORDERTWIN_TEST_UNSET is not set`}},
		{"file and env", "systems:\n  access:\n    kind: olt\n    address: x:830\n    privateKey: {file: olt.pw, env: ORDERTWIN_TEST_SECRET}\n",
			[]string{`line 5: systems.access.privateKey: want one of file (a file holding it) or env (an environment variable holding it)`}},
		{"unknown setting", "systems:\n  access:\n    kind: olt\n    endpoints: {OLT-SOUTH-03: " + good + "}\n    settings: {uplnk: uplink-2}\n",
			[]string{`line 5: systems.access.settings: unknown key "uplnk" (did you mean "uplink"?) (the keys here: uplink, cards, retry)`}},
		{"unknown nested setting", "systems:\n  access:\n    kind: olt\n    address: x:830\n    settings:\n      cards:\n        - {slot: 1, prots: [a]}\n",
			[]string{`line 7: systems.access.settings.cards[0]: unknown key "prots" (did you mean "ports"?) (the keys here: slot, ports)`}},
		{"setting of the wrong shape", "systems:\n  access:\n    kind: olt\n    address: x:830\n    settings:\n      cards: {slot: 1}\n      retry: soon\n",
			[]string{`line 6: systems.access.settings.cards: want a list, not a mapping`, `line 7: systems.access.settings.retry: "soon" is not a duration such as 90s or 5m`}},
		{"setting the kind refuses", "systems:\n  access:\n    kind: olt\n    address: x:830\n    settings:\n      uplink: u\n      retry: 5m\n",
			[]string{`line 7: systems.access.settings.retry: at most 1m`}},
		{"settings of a kind that takes none", "systems:\n  ipam:\n    kind: ipam-rest\n    address: x\n    settings: {a: b}\n",
			[]string{`line 5: systems.ipam.settings: kind ipam-rest takes no settings`}},
		{"settings that are not a mapping", "systems:\n  access:\n    kind: olt\n    address: x:830\n    settings: [uplink]\n",
			[]string{`line 5: systems.access.settings: want a mapping of uplink, cards, retry, not a list`}},
		{"negative limits", "systems:\n  access:\n    kind: olt\n    address: x:830\n    timeout: -5s\n    concurrency: -1\n",
			[]string{`line 5: systems.access.timeout: want a positive duration, not -5s`, `line 6: systems.access.concurrency: want a positive number, not -1`}},
		// 700000h: four of them (an ordered entry's wait) overflowed, and
		// every call failed at once.
		{"a timeout past a day", "systems:\n  access:\n    kind: olt\n    address: x:830\n    timeout: 700000h\n",
			[]string{`line 5: systems.access.timeout: 700000h0m0s: want at most 24h0m0s`}},
		{"twin with an endpoint", "systems:\n  access:\n    kind: twin\n    address: x:830\n",
			[]string{`line 2: systems.access: the twin runs in this process: it takes only its kind`}},
		{"unknown key", "systems:\n  access:\n    kind: olt\n    adress: x:830\n",
			[]string{`line 4: systems.access: unknown key "adress" (did you mean "address"?)`}},
		{"secret written in the file", "systems:\n  access:\n    kind: olt\n    address: x:830\n    credential: " + secret + "\n",
			[]string{`line 5: want {file: PATH} or {env: NAME}: a credential is never written in the adapters file`}},
		{"unknown key of a secret", "systems:\n  access:\n    kind: olt\n    address: x:830\n    credential: {envv: ORDERTWIN_TEST_SECRET}\n",
			[]string{`line 5: unknown key "envv" (did you mean "env"?) (the keys here: file, env)`}},
		{"several at once", "systems:\n  acess: {kind: twin}\n  access: {kind: olt, address: x:830, credential: {env: ORDERTWIN_TEST_UNSET}}\n",
			[]string{`line 2: systems.acess: no such system`, `line 3: systems.access.credential: the environment variable ORDERTWIN_TEST_UNSET is not set`}},
		// Unknown keys were told alone, and the rest on the next try.
		{"unknown keys with the rest", "systems:\n  access:\n    kind: olt\n    adress: x:830\n  bng:\n    kind: olx\n",
			[]string{"line 2: systems.access: kind olt needs an endpoint", `line 4: systems.access: unknown key "adress"`, `line 6: systems.bng.kind: unknown kind "olx"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, dir, "adapters.yaml", tt.body)
			_, err := system.LoadAdapters(path, kinds)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "adapters file "+path+": ")
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), secret)
		})
	}
}

// An adapter that cannot be built is refused with its system and line
// named (the line of the key the builder's error names, when it begins
// with one); the builder's error holds no secret.
func TestBuildAdaptersError(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ORDERTWIN_TEST_SECRET", secret)
	path := writeFile(t, dir, "adapters.yaml", "systems:\n  ipam:\n    kind: ipam-rest\n    address: netbox\n    credential: {env: ORDERTWIN_TEST_SECRET}\n")
	file, err := system.LoadAdapters(path, kinds)
	require.NoError(t, err)
	_, err = file.Build(slog.New(slog.DiscardHandler))
	assert.EqualError(t, err, "adapters file "+path+": line 2: systems.ipam: the server's address is not a URL")

	path = writeFile(t, dir, "keyed.yaml", "systems:\n  ipam:\n    kind: ipam-rest\n    address: netbox\n    credential: {env: ORDERTWIN_TEST_SECRET}\n")
	file, err = system.LoadAdapters(path, map[string]system.Kind{"ipam-rest": {Systems: kinds["ipam-rest"].Systems,
		New: func(system.AdapterConfig, *slog.Logger) (port.Adapter, error) {
			return nil, errors.New("credential: refused by the server")
		}}})
	require.NoError(t, err)
	_, err = file.Build(slog.New(slog.DiscardHandler))
	assert.EqualError(t, err, "adapters file "+path+": line 5: systems.ipam: credential: refused by the server")
}

// Whatever an adapters file holds, loading it returns an adapters file or
// an error, and no error shows the secret of the environment.
func FuzzLoadAdapters(f *testing.F) {
	for _, seed := range []string{
		"systems:\n  access: {kind: olt, address: x:830, credential: {env: ORDERTWIN_TEST_SECRET}}\n",
		"systems:\n  access:\n    kind: olt\n    endpoints:\n      OLT-1: {address: x:830, privateKey: {file: olt.pw}}\n",
		"systems:\n  vlan: {kind: twin}\n  ipam: {kind: ipam-rest, address: 'http://netbox', settings: {a: b}}\n",
		"systems:\n  access: {kind: olt, credential: " + secret + "}\n",
		"systems: {bng: &a {kind: twin}, nms: *a}\n",
	} {
		f.Add(seed)
	}
	dir := f.TempDir()
	require.NoError(f, os.WriteFile(filepath.Join(dir, "olt.pw"), []byte(secret), 0o600))
	f.Setenv("ORDERTWIN_TEST_SECRET", secret)
	f.Fuzz(func(t *testing.T, body string) {
		path := filepath.Join(dir, "adapters.yaml")
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		file, err := system.LoadAdapters(path, kinds)
		if err != nil {
			if !strings.Contains(body, secret) {
				assert.NotContains(t, err.Error(), secret)
			}
			return
		}
		for _, d := range file.Describe() {
			assert.NotContains(t, d, secret)
		}
	})
}

// answering is a real adapter's stand-in that answers every call at once
// and keeps them.
type answering struct{ calls *[]port.Request }

func (a answering) Call(now time.Duration, req *port.Request, reply port.Replier) {
	*a.calls = append(*a.calls, *req)
	reply.Reply(now, &port.Result{Key: req.Key, System: req.System, Op: req.Op, Item: req.Item, Final: true, Resource: req.Resource})
}

type lastFinal struct{ res *port.Result }

func (l *lastFinal) Reply(_ time.Duration, res *port.Result) { l.res = res }

// With the BNG and the VLAN system both outside, a VLAN the BNG commits
// is committed in the VLAN system too (NetBox makes it active).
func TestBuiltBNGCommitsTheVLANInTheVLANSystem(t *testing.T) {
	var bngCalls, vlanCalls []port.Request
	reg := map[string]system.Kind{
		"das": {Systems: []port.System{port.BNG},
			New: func(system.AdapterConfig, *slog.Logger) (port.Adapter, error) { return answering{&bngCalls}, nil }},
		"ipam-rest": {Systems: []port.System{port.VLAN},
			New: func(system.AdapterConfig, *slog.Logger) (port.Adapter, error) { return answering{&vlanCalls}, nil }},
	}
	path := writeFile(t, t.TempDir(), "adapters.yaml", `
systems:
  bng: {kind: das, address: "127.0.0.1:47799", ordered: true}
  vlan: {kind: ipam-rest, address: "http://127.0.0.1:47798", ordered: true}
`)
	file, err := system.LoadAdapters(path, reg)
	require.NoError(t, err)
	built, err := file.Build(slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	var got lastFinal
	built[port.BNG].Call(0, &port.Request{Key: "ROI-002/commit/1", System: port.BNG, Op: port.Commit, Item: "ROI-002",
		Resource: &tmf.Resource{ID: "ENT-MEL-VLAN-2108", ResourceType: "VLAN"}}, &got)
	require.Eventually(t, func() bool { return len(vlanCalls) == 1 }, 5*time.Second, 10*time.Millisecond)
	assert.Len(t, bngCalls, 1)
	assert.Equal(t, port.VLAN, vlanCalls[0].System)
	assert.Equal(t, "ROI-002/commit/1", vlanCalls[0].Key)
}

// An ordered entry's deadline counts the wait for its turn too: up to
// OrderedWait timeouts in the queue, then its own timeout, doubled; an
// unordered entry's is its timeout doubled.
func TestOrderedDeadlineCountsTheQueue(t *testing.T) {
	reg := map[string]system.Kind{
		"das": {Systems: []port.System{port.BNG},
			New: func(system.AdapterConfig, *slog.Logger) (port.Adapter, error) { return &probe{}, nil }},
		"ipam-rest": {Systems: []port.System{port.VLAN, port.IPAM},
			New: func(system.AdapterConfig, *slog.Logger) (port.Adapter, error) { return &probe{}, nil }},
	}
	path := writeFile(t, t.TempDir(), "adapters.yaml", `
systems:
  vlan: {kind: ipam-rest, address: "http://127.0.0.1:47798", timeout: 2500ms, ordered: true}
  ipam: {kind: ipam-rest, address: "http://127.0.0.1:47798", timeout: 2500ms}
  bng: {kind: das, address: "127.0.0.1:47799", ordered: true}
`)
	file, err := system.LoadAdapters(path, reg)
	require.NoError(t, err)
	d := file.Deadlines(100, 10*time.Second)
	assert.Equal(t, 500*time.Second, d[port.IPAM], "2 × 2.5 s, at 100 virtual seconds a second")
	assert.Equal(t, time.Duration(2*(2.5+system.OrderedWait*2.5)*100)*time.Second, d[port.VLAN])
	assert.Equal(t, time.Duration(2*(10+system.OrderedWait*30)*100)*time.Second, d[port.BNG],
		"the fallback timeout, and the queue's wait at the default timeout")
}

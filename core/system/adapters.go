package system

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ordertwin/ordertwin/core/hint"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/yamlfile"
)

// Twin is the kind of adapter that is the in-process twin: the default of
// every system an adapters file does not name.
const Twin = "twin"

// AdaptersFile is an adapters file (serve and run --adapters FILE;
// docs/adapters.md): which adapter answers each network system.
type AdaptersFile struct {
	// Systems maps a system (access, vlan, ...) to its adapter.
	Systems map[string]AdapterConfig `yaml:"systems"`
}

// AdapterConfig is one system's entry of an adapters file: its kind, and
// for a real adapter where it connects, how it logs in, how long a call
// may take and how many may be in flight.
type AdapterConfig struct {
	// Kind is twin, or a kind of real adapter (Kind).
	Kind string `yaml:"kind"`
	// Endpoint is where an adapter that talks to one server connects;
	// Endpoints, by name, where one that talks to several does (the
	// NETCONF adapter: one per OLT, by the OLT's name).
	Endpoint  `yaml:",inline"`
	Endpoints map[string]Endpoint `yaml:"endpoints"`
	// Timeout bounds one call (0: the kind's default).
	Timeout time.Duration `yaml:"timeout"`
	// Concurrency bounds the calls in flight (0: the kind's default).
	Concurrency int `yaml:"concurrency"`
	// Ordered sends one call at a time, each once the one before has its
	// final answer, and answers in the order of the calls (port.Ordered):
	// an allocator outside then allocates in the order the run asks, as
	// the in-process twin does.
	Ordered bool `yaml:"ordered"`
	// Settings are what only this kind takes, decoded into the kind's own
	// value when the file is loaded (Kind.Settings).
	Settings Settings `yaml:"settings"`
	// System is the system the entry is for (its key in the file).
	System port.System `yaml:"-"`
	// Dir is the adapters file's directory, which file names in settings
	// are relative to.
	Dir string `yaml:"-"`
	// Rehearsal is set when the adapter is built for a dry run only
	// (Adapters.Rehearse): it renders what it would send and must open
	// nothing (a server's listener among them).
	Rehearsal bool `yaml:"-"`
}

// Endpoint is one server an adapter connects to.
type Endpoint struct {
	// Address is host:port, or a URL for an HTTP API.
	Address string `yaml:"address"`
	User    string `yaml:"user"`
	// Credential is the password, token or shared secret the kind logs
	// in with; PrivateKey a private key (PEM) for kinds that take one.
	Credential *Secret `yaml:"credential"`
	PrivateKey *Secret `yaml:"privateKey"`
	// HostKey is the server's public key, for kinds that check it
	// (NETCONF over SSH: authorized_keys format).
	HostKey string `yaml:"hostKey"`
}

// Secret is a credential kept out of the adapters file: read from a file
// (relative to the adapters file) or from an environment variable when the
// file is loaded. Its value never appears in an error, a log or a
// status: String and LogValue name where it comes from, not what it is.
type Secret struct {
	File  string `yaml:"file"`
	Env   string `yaml:"env"`
	value []byte
}

// UnmarshalYAML reads {file: PATH} or {env: NAME}. A secret written in
// the file itself is refused without being quoted.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want {file: PATH} or {env: NAME}: a credential is never written in the adapters file", n.Line)
	}
	keys := []string{"file", "env"}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(keys, k.Value) {
			return fmt.Errorf("line %d: unknown key %q%s (the keys here: file, env)", k.Line, k.Value, hint.DidYouMean(k.Value, keys))
		}
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: %s: want a file name or a variable name", v.Line, k.Value)
		}
	}
	type plain Secret // its fields, without this method
	return n.Decode((*plain)(s))
}

// Value is the secret itself.
func (s *Secret) Value() []byte { return s.value }

// String names where the secret comes from.
func (s *Secret) String() string {
	if s.Env != "" {
		return "the secret in $" + s.Env
	}
	return "the secret in " + s.File
}

// GoString is String: %#v shows no secret either.
func (s *Secret) GoString() string { return s.String() }

// LogValue implements slog.LogValuer: where the secret comes from.
func (s *Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Settings is an entry's settings: a YAML node each kind decodes into a
// value of its own (Kind.Settings), when the file is loaded.
type Settings struct {
	node  *yaml.Node
	value any
}

// UnmarshalYAML keeps the node, for the entry's kind to decode.
func (s *Settings) UnmarshalYAML(n *yaml.Node) error {
	s.node = n
	return nil
}

// Given reports whether the entry has settings.
func (s Settings) Given() bool { return s.node != nil && s.node.Tag != "!!null" }

// Value is the kind's settings value (what its Kind.Settings made),
// decoded from the entry; nil if the entry has none.
func (s Settings) Value() any { return s.value }

// SettingsChecker is a kind's settings value that checks itself once
// decoded; a *SettingError names the setting at fault, and the file's
// error its line.
type SettingsChecker interface {
	Check() error
}

// SettingError is a setting's value the kind refuses: Key is the
// setting's key (dotted for a nested one: sites.MELB), Problem what is
// wrong.
type SettingError struct {
	Key, Problem string
}

func (e *SettingError) Error() string { return e.Key + ": " + e.Problem }

// Kind is a kind of real adapter an adapters file may name (its registry
// is the caller's: cmd/ordertwin names the kinds adapters/ builds).
type Kind struct {
	// Systems are the systems an adapter of the kind can serve.
	Systems []port.System
	// Settings, if set, makes the value the kind's settings decode into:
	// a pointer to a struct whose YAML keys are what the kind takes under
	// settings (and, if it is a SettingsChecker, checks itself). Unknown
	// keys and wrong shapes are named with their line when the file is
	// loaded; New finds the value in AdapterConfig.Settings.Value(). A
	// kind without it takes no settings.
	Settings func() any
	// New builds the adapter of an entry whose secrets are read. Its
	// errors must not carry a secret.
	New func(c AdapterConfig, log *slog.Logger) (port.Adapter, error)
	// Address, if set, checks an address of the kind as the file is
	// loaded (HostPort, HTTPURL), saying what is wrong.
	Address func(string) error
	// Timeout is the kind's own timeout of a call when its entry names
	// none (0: the caller's fallback, Deadlines).
	Timeout time.Duration
	// Unauthenticated says the kind logs in to nothing: a credential, key
	// or user given it is refused (it would be read, and never used).
	Unauthenticated bool
	// NotOrdered, when set, says why an entry of the kind may not be
	// ordered.
	NotOrdered string
}

// HostPort checks an address that is host:port, the port a number.
func HostPort(addr string) error {
	if strings.Contains(addr, "://") {
		return fmt.Errorf("%q: want host:port, not a URL", addr)
	}
	host, p, err := net.SplitHostPort(addr)
	if ae, ok := errors.AsType[*net.AddrError](err); ok {
		return fmt.Errorf("%q: want host:port (%s)", addr, ae.Err)
	} else if err != nil {
		return fmt.Errorf("%q: want host:port", addr)
	}
	if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 || host == "" {
		return fmt.Errorf("%q: want host:port, the port a number from 1 to 65535", addr)
	}
	return nil
}

// HTTPURL checks an address that is an http or https URL, with no user
// or password in it (credentials are given as credential, never inline).
func HTTPURL(addr string) error {
	u, err := url.Parse(addr)
	switch {
	case err != nil:
		return fmt.Errorf("%q: not a URL", addr)
	case u.User != nil:
		return fmt.Errorf("a user or password in the URL: give the credential as credential: {file: …} or {env: …}")
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return fmt.Errorf("%q: want an http:// or https:// URL with a host", addr)
	}
	return nil
}

// Adapters is a loaded adapters file: every entry checked and its secrets
// read.
type Adapters struct {
	path    string
	entries []AdapterConfig // by system, in port.Systems order
	kinds   map[string]Kind
	lines   keyLines
}

// LoadAdapters reads the adapters file at path, with the kinds of real
// adapter there are. Every error names the file, the line and the key at
// fault: an unknown system, an unknown kind (with the kinds there are), a
// kind that cannot serve its system, a real adapter without an endpoint,
// a secret whose file or environment variable is missing. No error holds
// a secret's value.
func LoadAdapters(path string, kinds map[string]Kind) (*Adapters, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("adapters file: %w", err)
	}
	var f AdaptersFile
	var problems []error
	var unknown *yamlfile.UnknownKeys
	if err := yamlfile.Decode(data, &f); errors.As(err, &unknown) {
		// The rest of the file is checked too, so that every fault shows
		// at once (each unknown key left out).
		problems = unknown.Errs
	} else if err != nil {
		return nil, fmt.Errorf("adapters file %s: %w", path, err)
	}
	var lines keyLines
	if err := yaml.Unmarshal(data, &lines); err != nil {
		return nil, fmt.Errorf("adapters file %s: %w", path, err)
	}
	a := &Adapters{path: path, kinds: kinds, lines: lines}
	bad := func(key string, format string, args ...any) {
		if key == "" { // an error that names its line and key itself
			problems = append(problems, fmt.Errorf(format, args...))
			return
		}
		problems = append(problems, fmt.Errorf("line %d: %s: %s", lines.of(key), key, fmt.Sprintf(format, args...)))
	}
	known := names(port.Systems)
	for _, name := range slices.Sorted(maps.Keys(f.Systems)) {
		key := "systems." + name
		if !slices.Contains(known, name) {
			bad(key, "no such system%s (the systems: %s)", hint.DidYouMean(name, known), strings.Join(known, ", "))
			continue
		}
		c := f.Systems[name]
		c.System = port.System(name)
		c.Dir = filepath.Dir(path)
		a.check(&c, key, bad, filepath.Dir(path))
		a.entries = append(a.entries, c)
	}
	if len(problems) > 0 {
		slices.SortStableFunc(problems, func(x, y error) int { return cmp.Compare(lineOf(x), lineOf(y)) })
		return nil, fmt.Errorf("adapters file %s: %w", path, errors.Join(problems...))
	}
	slices.SortFunc(a.entries, func(x, y AdapterConfig) int {
		return slices.Index(port.Systems, x.System) - slices.Index(port.Systems, y.System)
	})
	return a, nil
}

// lineOf is the line an error of the file names ("line 12: …"), 0 for
// none.
func lineOf(err error) int {
	var n int
	if _, scan := fmt.Sscanf(err.Error(), "line %d:", &n); scan != nil {
		return 0
	}
	return n
}

// check checks one entry and reads its secrets (relative to dir), telling
// bad what is wrong.
func (a *Adapters) check(c *AdapterConfig, key string, bad func(key, format string, args ...any), dir string) {
	kindNames := append([]string{Twin}, slices.Sorted(maps.Keys(a.kinds))...)
	switch c.Kind {
	case "":
		bad(key, "no kind (the kinds: %s)", strings.Join(kindNames, ", "))
		return
	case Twin:
		if c.Endpoint != (Endpoint{}) || len(c.Endpoints) > 0 || c.Timeout != 0 || c.Concurrency != 0 || c.Ordered || c.Settings.Given() {
			bad(key, "the twin runs in this process: it takes only its kind")
		}
		return
	}
	k, ok := a.kinds[c.Kind]
	if !ok {
		bad(key+".kind", "unknown kind %q%s (the kinds: %s)", c.Kind, hint.DidYouMean(c.Kind, kindNames), strings.Join(kindNames, ", "))
		return
	}
	if !slices.Contains(k.Systems, c.System) {
		bad(key+".kind", "kind %s serves %s, not %s", c.Kind, strings.Join(names(k.Systems), " and "), c.System)
	}
	switch {
	case c.Timeout < 0:
		bad(key+".timeout", "want a positive duration, not %s", c.Timeout)
	case c.Timeout > MaxTimeout:
		// Far past any call's; and the engine's deadline, some times the
		// timeout in nanoseconds, must not overflow.
		bad(key+".timeout", "%s: want at most %s", c.Timeout, MaxTimeout)
	}
	if c.Concurrency < 0 {
		bad(key+".concurrency", "want a positive number, not %d", c.Concurrency)
	}
	switch {
	case !c.Settings.Given():
		if k.Settings != nil {
			c.Settings.value = k.Settings()
		}
	case k.Settings == nil:
		bad(key+".settings", "kind %s takes no settings", c.Kind)
	default:
		v := k.Settings()
		if err := yamlfile.DecodeNode(c.Settings.node, key+".settings", v); err != nil {
			bad("", "%w", err)
			break
		}
		if ch, ok := v.(SettingsChecker); ok {
			if err := ch.Check(); err != nil {
				if se, ok := errors.AsType[*SettingError](err); ok {
					bad(key+".settings."+se.Key, "%s", se.Problem)
				} else {
					bad(key+".settings", "%v", err)
				}
				break
			}
		}
		c.Settings.value = v
	}
	if c.Address == "" && len(c.Endpoints) == 0 {
		bad(key, "kind %s needs an endpoint: give address, or endpoints", c.Kind)
	}
	if c.Ordered && k.NotOrdered != "" {
		bad(key+".ordered", "kind %s is not ordered: %s", c.Kind, k.NotOrdered)
	}
	if k.Unauthenticated {
		logsIn := func(ep Endpoint) bool { return ep.Credential != nil || ep.PrivateKey != nil || ep.User != "" }
		if logsIn(c.Endpoint) {
			bad(key, "kind %s logs in to nothing: it takes no user, credential or privateKey", c.Kind)
		}
		for _, name := range slices.Sorted(maps.Keys(c.Endpoints)) {
			if logsIn(c.Endpoints[name]) {
				bad(key+".endpoints."+name, "kind %s logs in to nothing: it takes no user, credential or privateKey", c.Kind)
			}
		}
	}
	if c.Endpoint != (Endpoint{}) {
		// Beside endpoints, the entry's own credential or key is the one
		// its endpoints share (a RADIUS shared secret): no address.
		checkEndpoint(c.Endpoint, key, bad, dir, c.Address != "" || len(c.Endpoints) == 0)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Endpoints)) {
		checkEndpoint(c.Endpoints[name], key+".endpoints."+name, bad, dir, true)
	}
	if k.Address == nil {
		return
	}
	if c.Address != "" {
		if err := k.Address(c.Address); err != nil {
			bad(key+".address", "%v", err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Endpoints)) {
		if a := c.Endpoints[name].Address; a != "" {
			if err := k.Address(a); err != nil {
				bad(key+".endpoints."+name+".address", "%v", err)
			}
		}
	}
}

// checkEndpoint checks an endpoint (one without an address unless
// address) and reads its secrets.
func checkEndpoint(ep Endpoint, key string, bad func(key, format string, args ...any), dir string, address bool) {
	if address && ep.Address == "" {
		bad(key, "no address")
	}
	if ep.Credential != nil {
		if err := ep.Credential.read(dir); err != nil {
			bad(key+".credential", "%v", err)
		}
	}
	if ep.PrivateKey != nil {
		if err := ep.PrivateKey.read(dir); err != nil {
			bad(key+".privateKey", "%v", err)
		}
	}
}

// read reads the secret from its file (relative to dir) or environment
// variable. Its errors name where, never what.
func (s *Secret) read(dir string) error {
	switch {
	case (s.File == "") == (s.Env == ""):
		return errors.New("want one of file (a file holding it) or env (an environment variable holding it)")
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok || v == "" {
			return fmt.Errorf("the environment variable %s is not set", s.Env)
		}
		s.value = []byte(v)
	default:
		if !filepath.IsAbs(s.File) {
			s.File = filepath.Join(dir, s.File)
		}
		b, err := os.ReadFile(s.File)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				return fmt.Errorf("the file %s: %v", s.File, pe.Err)
			}
			return fmt.Errorf("the file %s cannot be read", s.File)
		}
		if b = bytes.TrimRight(b, "\r\n"); len(b) == 0 {
			return fmt.Errorf("the file %s is empty", s.File)
		}
		s.value = b
	}
	return nil
}

// Outside reports whether any system is given an adapter outside the
// process (not the twin): such a run goes on the wall clock.
func (a *Adapters) Outside() bool {
	return slices.ContainsFunc(a.entries, func(c AdapterConfig) bool { return c.Kind != Twin })
}

// DefaultTimeout is the timeout of an outside adapter whose entry and
// kind name none (the adapters' own defaults are 10 to 30 seconds).
const DefaultTimeout = 30 * time.Second

// MaxTimeout bounds an entry's timeout: a day, when a device answers in
// seconds.
const MaxTimeout = 24 * time.Hour

// OrderedWait is how many of its timeouts a call to an ordered entry may
// wait for its turn before it is answered transient, not sent
// (port.OrderedWithin): its deadline is longer by as much, so that the
// time a call waits in the queue does not run it past its deadline.
const OrderedWait = 4

// Deadlines are how long, on a clock running at scale virtual seconds a
// real second, the engine waits for the answer of each outside adapter:
// the entry's timeout (or its kind's, or fallback, for an entry that
// names none) in real time, for an ordered entry plus the wait for its
// turn (OrderedWait timeouts), doubled so that the adapter's own answer
// at its timeout (a transient error) comes first; at least engine's default
// of two minutes, at most a century (a Go duration holds 292 years).
func (a *Adapters) Deadlines(scale float64, fallback time.Duration) map[port.System]time.Duration {
	const most = 100 * 365 * 24 * time.Hour
	out := map[port.System]time.Duration{}
	for _, c := range a.entries {
		if c.Kind == Twin {
			continue
		}
		real := cmp.Or(c.Timeout, a.kinds[c.Kind].Timeout, fallback)
		if c.Ordered {
			// A call may wait its turn up to OrderedWait timeouts
			// (port.OrderedWithin) before its own timeout runs.
			real += OrderedWait * cmp.Or(c.Timeout, a.kinds[c.Kind].Timeout, DefaultTimeout)
		}
		v := 2 * real.Seconds() * scale
		d := most
		if v < most.Seconds() {
			d = max(time.Duration(v*float64(time.Second)), 2*time.Minute)
		}
		out[c.System] = d
	}
	return out
}

// Build makes the adapter of every system the file gives a real adapter
// (the twin's systems are not in the map: the caller's twin serves them).
// Rehearse makes Build build every adapter for a dry run only
// (AdapterConfig.Rehearsal).
func (a *Adapters) Rehearse() {
	for i := range a.entries {
		a.entries[i].Rehearsal = true
	}
}

func (a *Adapters) Build(log *slog.Logger) (map[port.System]port.Adapter, error) {
	built := map[port.System]port.Adapter{}
	for _, c := range a.entries {
		if c.Kind == Twin {
			continue
		}
		ad, err := a.kinds[c.Kind].New(c, log.With("system", string(c.System), "adapter", c.Kind))
		if err != nil {
			for _, b := range built { // what holds a listener lets it go
				if closer, ok := b.(io.Closer); ok {
					_ = closer.Close()
				}
			}
			return nil, fmt.Errorf("adapters file %s: line %d: systems.%s: %w", a.path, a.lineOf(c.System, err), c.System, err)
		}
		if c.Ordered {
			ad = port.OrderedWithin(ad, OrderedWait*cmp.Or(c.Timeout, a.kinds[c.Kind].Timeout, DefaultTimeout))
		}
		built[c.System] = ad
	}
	// The VLAN is reserved in the vlan system (NetBox) and configured by
	// the bng system's commit: once the BNG has it, it is committed in the
	// vlan system too, so that it ends active there as its item completes.
	if bng, vlan := built[port.BNG], built[port.VLAN]; bng != nil && vlan != nil {
		built[port.BNG] = port.CommitsAlso(bng, "VLAN", port.VLAN, vlan)
	}
	return built, nil
}

// Describe says, per system the file names, which adapter serves it and
// where it connects: for logs and status, never a credential.
func (a *Adapters) Describe() []string {
	var out []string
	for _, c := range a.entries {
		d := string(c.System) + "=" + c.Kind
		var at []string
		if c.Address != "" {
			at = append(at, c.Address)
		}
		for _, name := range slices.Sorted(maps.Keys(c.Endpoints)) {
			at = append(at, name+"@"+c.Endpoints[name].Address)
		}
		if len(at) > 0 {
			d += " (" + strings.Join(at, ", ") + ")"
		}
		out = append(out, d)
	}
	return out
}

// lineOf is the line of what err, a kind's error building the adapter of
// sys, names: the key its message begins with (endpoints.OLT-1.hostKey),
// else the entry's.
func (a *Adapters) lineOf(sys port.System, err error) int {
	key := "systems." + string(sys)
	if sub, _, ok := strings.Cut(err.Error(), ": "); ok && !strings.ContainsAny(sub, " \"") {
		key += "." + sub
	}
	return a.lines.of(key)
}

// keyLines finds the line of a key of a YAML file by its dotted path, for
// errors found after decoding.
type keyLines struct{ root yaml.Node }

// UnmarshalYAML keeps the document's node.
func (k *keyLines) UnmarshalYAML(n *yaml.Node) error { k.root = *n; return nil }

// of is the line of the key at path (a.b.c), or of the nearest key above
// it that the file has.
func (k *keyLines) of(path string) int {
	n, line := &k.root, k.root.Line
	for _, key := range strings.Split(path, ".") {
		found := false
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line, n, found = n.Content[i].Line, n.Content[i+1], true
				break
			}
		}
		if !found {
			break
		}
	}
	return line
}

// names are the systems' names.
func names(systems []port.System) []string {
	out := make([]string, len(systems))
	for i, s := range systems {
		out[i] = string(s)
	}
	return out
}

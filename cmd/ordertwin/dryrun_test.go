package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The dry run of the worked example's pilot site, as docs/adapters.md
// shows it between its dry-run markers: the test fails when the doc and
// what run --dry-run prints differ. Every OLT port call is rendered (no
// badRequest): the reserve for the port the twin picked, the commit with
// what ROM's request carries.
func TestDryRunOfThePilotSiteIsTheDocs(t *testing.T) {
	t.Setenv("ORDERTWIN_OLT_PASSWORD", "unused by a dry run")
	var out, logs bytes.Buffer
	err := runCmd(context.Background(), []string{"--adapters", "../../docs/examples/dry-run.yaml", "--dry-run", "--site", "MELB",
		"../../scenarios/globaltech-5site.yaml"}, &out, &logs)
	require.NoError(t, err, logs.String())
	got := out.String()
	assert.NotContains(t, got, "not sent", "every call of the pilot site is rendered")
	assert.NotContains(t, got, "badRequest")

	doc, err := os.ReadFile("../../docs/adapters.md")
	require.NoError(t, err)
	const begin, end = "<!-- dry-run MELB: begin -->\n```text\n", "```\n<!-- dry-run MELB: end -->"
	_, rest, ok := strings.Cut(string(doc), begin)
	require.True(t, ok, "docs/adapters.md has no %q", begin)
	shown, _, ok := strings.Cut(rest, end)
	require.True(t, ok, "docs/adapters.md has no %q", end)
	assert.Equal(t, shown, got, "docs/adapters.md shows the pilot site's dry run as run --dry-run prints it")
}

// Across the worked example, the only access calls NETCONF does not
// render are the P2P handoffs, which it does not configure; and the dry
// run's flags are checked.
func TestDryRunOfTheWorkedExample(t *testing.T) {
	t.Setenv("ORDERTWIN_OLT_PASSWORD", "unused by a dry run")
	var out, logs bytes.Buffer
	require.NoError(t, runCmd(context.Background(), []string{"--adapters", "../../docs/examples/dry-run.yaml", "--dry-run",
		"../../scenarios/globaltech-5site.yaml"}, &out, &logs))
	assert.NotContains(t, out.String(), "not sent", "every access call, an OLT port's or a P2P handoff's, is rendered")
	assert.Contains(t, out.String(), "netconf syd-ex-01.example.net:830 edit-config")
	for _, site := range []string{"MELB", "SYD1", "SYD2", "BNE1", "BNE2"} {
		assert.Contains(t, out.String(), "== site "+site+"\n")
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--dry-run", "../../scenarios/globaltech-5site.yaml"}, "--dry-run: give the adapters file"},
		{[]string{"--site", "MELB", "../../scenarios/globaltech-5site.yaml"}, "--site is for --dry-run"},
		{[]string{"--adapters", "../../docs/examples/dry-run.yaml", "--dry-run", "--format", "json", "../../scenarios/globaltech-5site.yaml"}, "not with --format"},
		{[]string{"--adapters", "../../docs/examples/dry-run.yaml", "--dry-run", "--site", "PERTH", "../../scenarios/globaltech-5site.yaml"}, "--site PERTH: no rehearsed call"},
	} {
		err := runCmd(context.Background(), tc.args, &out, &logs)
		require.Error(t, err, "%v", tc.args)
		assert.Contains(t, err.Error(), tc.want)
	}
}

// settings.noValidate reaches the NETCONF adapter: the dry run of the
// pilot site lists no <validate>, and still every other rpc.
func TestDryRunWithoutValidate(t *testing.T) {
	t.Setenv("ORDERTWIN_OLT_PASSWORD", "unused by a dry run")
	example, err := os.ReadFile("../../docs/examples/dry-run.yaml")
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "adapters.yaml")
	body := strings.Replace(string(example), "      confirmTimeout: 60s\n", "      confirmTimeout: 60s\n      noValidate: true\n", 1)
	require.NotEqual(t, string(example), body)
	require.NoError(t, os.WriteFile(file, []byte(body), 0o600))
	var out, logs bytes.Buffer
	require.NoError(t, runCmd(context.Background(), []string{"--adapters", file, "--dry-run", "--site", "MELB",
		"../../scenarios/globaltech-5site.yaml"}, &out, &logs), logs.String())
	assert.NotContains(t, out.String(), "<validate>")
	assert.Contains(t, out.String(), "<edit-config>")
	assert.Contains(t, out.String(), "<commit>")
}

// An adapter taking one call at a time (ordered: true, as every system of
// the file `twin serve` writes) renders what it would send as it does
// unordered: the dry run is the same.
func TestDryRunOfAnOrderedAdapter(t *testing.T) {
	t.Setenv("ORDERTWIN_OLT_PASSWORD", "unused by a dry run")
	example, err := os.ReadFile("../../docs/examples/dry-run.yaml")
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "adapters.yaml")
	body := strings.Replace(string(example), "    kind: netconf\n", "    kind: netconf\n    ordered: true\n", 1)
	require.NotEqual(t, string(example), body)
	require.NoError(t, os.WriteFile(file, []byte(body), 0o600))
	args := func(f string) []string {
		return []string{"--adapters", f, "--dry-run", "--site", "MELB", "../../scenarios/globaltech-5site.yaml"}
	}
	var ordered, plain, logs bytes.Buffer
	require.NoError(t, runCmd(context.Background(), args(file), &ordered, &logs), logs.String())
	require.NoError(t, runCmd(context.Background(), args("../../docs/examples/dry-run.yaml"), &plain, &logs), logs.String())
	assert.Equal(t, plain.String(), ordered.String())
}

// A call the adapter sends nothing for (RADIUS and STAMP reserve nothing
// on the device) is said to send nothing, not to have found no resource.
func TestDryRunOfACallThatSendsNothing(t *testing.T) {
	t.Setenv("ORDERTWIN_OLT_PASSWORD", "unused")
	t.Setenv("ORDERTWIN_NETBOX_TOKEN", "unused")
	t.Setenv("ORDERTWIN_RADIUS_SECRET", "unused")
	var out, logs bytes.Buffer
	// NetBox at netbox.example.net cannot be read: its calls are not sent
	// (TestDryRunThatWouldNotSendExitsNonZero).
	_ = runCmd(context.Background(), []string{"--adapters", "../../docs/examples/adapters.yaml", "--dry-run", "--site", "MELB",
		"../../scenarios/globaltech-5site.yaml"}, &out, &logs)
	assert.Contains(t, out.String(), "  bng reserve (ROI-004/reserve/1)\n    nothing to send: the adapter sends nothing for this call\n")
	assert.NotContains(t, out.String(), "no answer picked")
}

// A dry run that shows a call that would not be sent (an endpoint it
// cannot read, a request the adapter refuses) exits 1, naming how many,
// after printing everything as before; one whose every call is rendered
// exits 0 (TestDryRunOfThePilotSiteIsTheDocs).
func TestDryRunThatWouldNotSendExitsNonZero(t *testing.T) {
	t.Setenv("ORDERTWIN_OLT_PASSWORD", "unused")
	t.Setenv("ORDERTWIN_NETBOX_TOKEN", "unused")
	t.Setenv("ORDERTWIN_RADIUS_SECRET", "unused")
	example, err := os.ReadFile("../../docs/examples/adapters.yaml")
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "adapters.yaml")
	// NetBox on a closed port of loopback: its look-ups fail at once.
	ln, err := net.Listen("tcp", "127.0.0.1:47731")
	require.NoError(t, err)
	require.NoError(t, ln.Close())
	body := strings.Replace(string(example), "https://netbox.example.net", "http://127.0.0.1:47731", 1)
	require.NotEqual(t, string(example), body)
	require.NoError(t, os.WriteFile(file, []byte(body), 0o600))
	var out, logs bytes.Buffer
	err = runCmd(context.Background(), []string{"--adapters", file, "--dry-run", "--site", "MELB",
		"../../scenarios/globaltech-5site.yaml"}, &out, &logs)
	require.Error(t, err)
	var exit *exitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 1, exit.code)
	n := strings.Count(out.String(), "    not sent: ")
	require.Positive(t, n, out.String())
	assert.Contains(t, err.Error(), fmt.Sprintf("%d call(s) would not be sent", n))
	assert.Contains(t, out.String(), "  ipam reserve (ROI-003/reserve/1)\n    not sent: ")
	assert.Contains(t, out.String(), "  bng reserve (ROI-004/reserve/1)\n    nothing to send")
}

// A CE router's commit is rendered whole: the Day-1 its ztp call sends
// once ROM has told it the site's VLAN, subnet and QoS policy (the
// engine's updates reach the rehearsal), not refused for lacking them.
func TestDryRunOfACERouter(t *testing.T) {
	// The PnP address is held (by the live server, say): a dry run, which
	// listens on nothing, renders all the same.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	addr := ln.Addr().String()
	file := filepath.Join(t.TempDir(), "adapters.yaml")
	require.NoError(t, os.WriteFile(file, []byte("systems:\n  ztp:\n    kind: ztp\n    address: "+addr+"\n"), 0o600))
	var out, logs bytes.Buffer
	require.NoError(t, runCmd(context.Background(), []string{"--adapters", file, "--dry-run", "--site", "MELB",
		"../../scenarios/globaltech-5site.yaml"}, &out, &logs), logs.String())
	_, commit, ok := strings.Cut(out.String(), "  ztp commit (ROI-006/commit/1)\n")
	require.True(t, ok, out.String())
	assert.True(t, strings.HasPrefix(commit, "    pnp "), "rendered, not refused: %.300s", commit)
	assert.NotContains(t, out.String(), "not sent")
	assert.Contains(t, commit, "device-info")
}

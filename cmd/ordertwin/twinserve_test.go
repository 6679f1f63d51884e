package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/ordertwin/ordertwin/scenarios"
)

// allocated is what a run's report says it allocated: each resource's
// value and state by site and type.
func allocated(t *testing.T, report string) map[string]string {
	t.Helper()
	var r struct {
		Outcome   string `json:"outcome"`
		Resources []struct {
			ID, Type, Value, Site, State string
		} `json:"resources"`
	}
	require.NoError(t, json.Unmarshal([]byte(report), &r))
	out := map[string]string{}
	for _, res := range r.Resources {
		key := res.Site + " " + res.Type
		require.NotContains(t, out, key, "one resource of a type per site")
		out[key] = res.ID + " = " + res.Value + " (" + res.State + ")"
	}
	return out
}

// The worked example with VLAN, IPAM, BNG, ZTP and SLA probe outside,
// over NetBox REST, RADIUS CoA, Cisco PnP and STAMP against `twin serve`
// of the same scenario: it completes, and allocates exactly what the
// in-process run allocates — VLANs, subnets, OLT and P2P ports, QoS
// policies, probes and routers — item by item; each CE router calls home
// and takes a Day-1 configuration with its site's VLAN, /29 and policy,
// which ROM's commit, sent before those items were done, took from
// ROM's updates.
func TestWorkedExampleAgainstTwinServe(t *testing.T) {
	served, path := serveScenario(t, example, "access", "vlan", "ipam", "bng", "ztp", "nms")
	defer served.Close()
	// One call at a time to each system, but ztp: a release that ends a
	// router's commit would queue behind it until its timeout.
	written, err := os.ReadFile(path)
	require.NoError(t, err)
	var file struct{ Systems map[string]map[string]any }
	require.NoError(t, yaml.Unmarshal(written, &file))
	require.Contains(t, file.Systems, "ztp")
	for name, entry := range file.Systems {
		assert.Equal(t, name != "ztp", entry["ordered"] == true, name)
	}

	want, _, err := runOut(example, "--format", "json")
	require.NoError(t, err)
	got, logged, err := runOut(example, "--format", "json", "--adapters", path, "--scale", "1e6")
	// On the wall clock the systems outside answer in real time: the
	// timeline's expectations (ROI-002 at T+6 hr) cannot hold; the rest do.
	if err != nil {
		require.Contains(t, err.Error(), "expectation(s) failed")
	}
	assert.Contains(t, logged, "access=netconf (")
	assert.Contains(t, logged, "vlan=netbox (http://127.0.0.1:")
	assert.Contains(t, logged, "bng=radius (BNG-BNE-01@127.0.0.1:")
	assert.Contains(t, logged, "nms=stamp (BNE1@127.0.0.1:")
	assert.Contains(t, logged, "ztp=ztp (127.0.0.1:")
	assert.Contains(t, got, `"outcome": "completed"`)

	w, g := allocated(t, want), allocated(t, got)
	assert.Len(t, w, 30, "6 resources at each of 5 sites")
	for key, value := range w {
		assert.Equal(t, value, g[key], key)
	}
	assert.Len(t, g, len(w))
	assert.Equal(t, "ENT-MEL-VLAN-2108 = VLAN 2108 (active)", g["MELB VLAN"], "the seed's pilot VLAN")
	assert.Equal(t, "SOUTH-ENT-10.88.12.0/29 = 10.88.12.0/29 (active)", g["MELB IPv4Subnet"])

	// They came from the served systems: the OLT and the exchanges hold
	// the ports the adapter took, described by their items; NetBox allocated a VLAN and a
	// prefix per site, the BNG holds the subscribers with their policies
	// and VLANs.
	allocations := 0
	for _, r := range served.NetBox.Received() {
		if strings.HasPrefix(r.Op, "POST ") && strings.Contains(r.Op, "/available-") {
			allocations++
		}
	}
	assert.Equal(t, 10, allocations, "a VLAN and a prefix for each of 5 sites")
	for key, id := range map[string]string{"MELB OLTPort": "ROI-001", "SYD1 P2PHandoff": "ROI-007", "SYD2 P2PHandoff": "ROI-013"} {
		res, _, _ := strings.Cut(g[key], " = ")
		require.NotEmpty(t, res, key)
		device, n, _ := strings.Cut(res, "-P2P-")
		name := "p2p-" + n
		if n == "" {
			device, name = strings.TrimSuffix(res, "-LC2-P8"), "vani-LC2-P8"
		}
		require.Contains(t, served.Devices, device, key)
		running := string(served.Devices[device].Running())
		_, after, found := strings.Cut(running, "<interface><name>"+name+"</name>")
		require.True(t, found, "%s: %s holds %s", key, device, name)
		held, _, _ := strings.Cut(after, "</interface>")
		assert.Regexp(t, "<description>"+id+"@[0-9a-f]{8}</description>", held, key, "the item, marked with the run's store")
		assert.Contains(t, held, "<enabled>true</enabled>", key)
	}
	sub, ok := served.RADIUS.Subscriber("BNG-MEL-01", "CUST-ENT-1102/MELB")
	require.True(t, ok, "the pilot's subscriber is on its BNG")
	assert.Equal(t, "BW-500-500-GOLD-ENT", sub.PolicyIn)
	assert.Equal(t, "vlan2108", sub.Port)

	// Every site's CE router took its site's configuration, once.
	for _, site := range []string{"MELB", "SYD1", "SYD2", "BNE1", "BNE2"} {
		router, _, _ := strings.Cut(w[site+" CPE"], " = ")
		vlan := strings.Fields(w[site+" VLAN"])[3] // "ENT-MEL-VLAN-2108 = VLAN 2108 (active)"
		subnet := strings.Fields(w[site+" IPv4Subnet"])[2]
		st := served.Fleet.Device(router).Show()
		assert.True(t, st.Saved, site)
		assert.Equal(t, 1, st.Applies, site)
		assert.Equal(t, "CE-ENT-1102-"+site, st.Hostname)
		var found bool
		for name, i := range st.Interfaces {
			if strings.HasSuffix(name, "."+vlan) {
				found = true
				assert.Equal(t, subnet, i.Address.Masked().String(), site)
				assert.NotEmpty(t, i.PolicyIn, site)
			}
		}
		assert.True(t, found, "%s: a sub-interface on VLAN %s", site, vlan)
	}
	pilot := served.Fleet.Device("FDO2340567").Show()
	assert.Equal(t, "10.88.12.2/29", pilot.Interfaces["GigabitEthernet0/0/0.2108"].Address.String())
	assert.Equal(t, "BW-500-500-GOLD-ENT-IN", pilot.Interfaces["GigabitEthernet0/0/0.2108"].PolicyIn)
}

// Two runs against one network each allocate their own: item ids restart
// in every store, and an adapter knows what is its own by the item it
// wrote on it, marked with its store (port.Owner); without the mark the
// second run took the first one's OLT port, VLAN and subnet for its own.
func TestTwoStoresOnOneNetworkAllocateApart(t *testing.T) {
	served, path := serveScenario(t, example, "access", "vlan", "ipam")
	defer served.Close()
	var runs [2]map[string]string
	for i := range runs {
		got, _, err := runOut(example, "--format", "json", "--adapters", path, "--scale", "1e6")
		if err != nil {
			require.Contains(t, err.Error(), "expectation(s) failed") // the timeline's, on the wall clock
		}
		if i == 0 {
			// The second finds BNE2's area full: the first holds its
			// last free port.
			require.Contains(t, got, `"outcome": "completed"`)
		}
		runs[i] = allocated(t, got)
	}
	for _, key := range []string{"MELB OLTPort", "SYD1 P2PHandoff", "MELB VLAN", "MELB IPv4Subnet", "BNE1 VLAN"} {
		require.NotEmpty(t, runs[0][key], key)
		require.NotEmpty(t, runs[1][key], key)
		first, _, _ := strings.Cut(runs[0][key], " (")
		second, _, _ := strings.Cut(runs[1][key], " (")
		assert.NotEqual(t, first, second, "%s: the second run took the first one's", key)
	}
}

// twin serve names each endpoint as it starts, writes an adapters file
// that loads (credentials in files beside it, none in the file), and
// stops cleanly when interrupted; wrong arguments stop it before it
// serves.
func TestTwinServeCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "adapters.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- dispatch(ctx, []string{"twin", "serve", "--network", "../../scenarios/networks/au-east.yaml", "--adapters-out", path}, w, io.Discard)
		w.Close()
	}()
	lines := bufio.NewScanner(r)
	var started []string
	for lines.Scan() && !strings.HasPrefix(lines.Text(), "serving the twin") {
		started = append(started, lines.Text())
	}
	out := strings.Join(started, "\n")
	assert.Contains(t, out, "vlan, ipam: NetBox REST at http://127.0.0.1:")
	assert.Contains(t, out, "bng: RADIUS CoA (DAS) at 127.0.0.1:")
	assert.Contains(t, out, "access: NETCONF over SSH at 127.0.0.1:")
	assert.Contains(t, out, "for OLT-SOUTH-03")
	assert.Contains(t, out, "ztp: 12 CE router(s) calling home to the PnP server at 127.0.0.1:")
	assert.NotContains(t, out, "nms:", "a network alone names no site to reflect for")
	assert.Contains(t, out, "adapters file: "+path)

	body, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, name := range []string{"netbox-token", "radius-secret", "olt-password", "pnp-password"} {
		secret, err := os.ReadFile(path + "." + name)
		require.NoError(t, err, name)
		assert.NotContains(t, string(body), strings.TrimSpace(string(secret)), "no secret in the adapters file")
		assert.Contains(t, string(body), "file: adapters.yaml."+name)
	}
	_, file, err := loadAdapters("run", path, slog.New(slog.DiscardHandler))
	require.NoError(t, err, "the file written is one run takes")
	assert.Equal(t, []string{"access", "vlan", "bng", "ipam", "ztp"}, systemsOf(file.Describe()))

	go func() { _, _ = io.Copy(io.Discard, r) }()
	cancel()
	require.NoError(t, <-done)

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--network", "x.yaml"}, "twin serve: --adapters-out FILE is required"},
		{[]string{"serve", "--network", "x.yaml", "../../scenarios/globaltech-5site.yaml", "--adapters-out", path}, "twin serve: want --network FILE or one SCENARIO, not both"},
		{[]string{"serve", "--network", "nowhere.yaml", "--adapters-out", path}, "twin serve: --network: "},
		{[]string{"serve", "--adapters-out", path}, "twin serve: give the network to serve: --network FILE, or one SCENARIO (its network)"},
		{[]string{"serve", "a.yaml", "b.yaml", "--adapters-out", path}, "twin serve: want one SCENARIO, not 2"},
		{[]string{"serve", "--network", "../../scenarios/networks/au-east.yaml", "--adapters-out", path, "--systems", "vlan,ipan"}, `--systems: "ipan" is not a system the twin serves`},
		{[]string{"start"}, "twin: want `twin serve"},
	} {
		err := dispatch(context.Background(), append([]string{"twin"}, tt.args...), io.Discard, io.Discard)
		require.Error(t, err, tt.args)
		assert.Contains(t, err.Error(), tt.want)
	}
}

// systemsOf are the systems of an adapters file's description.
func systemsOf(described []string) []string {
	var out []string
	for _, d := range described {
		name, _, _ := strings.Cut(d, "=")
		out = append(out, name)
	}
	return out
}

// faultHits are a run's report's hits by fault rule.
func faultHits(t *testing.T, report string) map[string]int {
	t.Helper()
	var r struct {
		Faults []struct {
			Name string `json:"name"`
			Hits int    `json:"hits"`
		} `json:"faults"`
	}
	require.NoError(t, json.Unmarshal([]byte(report), &r))
	out := map[string]int{}
	for _, f := range r.Faults {
		out[f.Name] = f.Hits
	}
	return out
}

// flaky-netconf with the access network over real NETCONF, against twin
// serve of the scenario: the served OLTs and exchanges judge the
// scenario's rule on access with the same seeded draws as the twin in
// process, answer the edits it fails with an rpc-error, the adapter
// classifies it back as transient and the engine tries again; the run
// ends as in process — completed, the same resources, the same hits.
func TestFlakyNetconfOverNETCONF(t *testing.T) {
	const flaky = "../../scenarios/flaky-netconf.yaml"
	served, path := serveScenario(t, flaky, "access")
	defer served.Close()

	want, _, err := runOut(flaky, "--format", "json")
	require.NoError(t, err)
	got, logged, err := runOut(flaky, "--format", "json", "--adapters", path, "--scale", "1e6")
	if err != nil { // the timeline's times, on the wall clock
		require.Contains(t, err.Error(), "expectation(s) failed")
	}
	assert.Contains(t, logged, "access=netconf (")
	assert.Contains(t, got, `"outcome": "completed"`)
	w, g := allocated(t, want), allocated(t, got)
	assert.Len(t, g, len(w))
	for key, value := range w {
		assert.Equal(t, value, g[key], key)
	}

	wantHits, gotHits := faultHits(t, want), faultHits(t, got)
	require.Equal(t, 1, wantHits["netconf-olt"], "in process, the OLT rule hits once")
	assert.Equal(t, 0, gotHits["netconf-olt"], "the run's own twin serves no access call")
	var served1 int
	for _, h := range served.Twin.FaultHits() {
		if h.Name == "netconf-olt" {
			served1 = h.Hits
		}
	}
	assert.Equal(t, wantHits["netconf-olt"], served1, "the served devices judged the same calls failed")
	// The call it failed is the one in process (ROI-013's reserve, on
	// the Sydney exchange), retried after the failure policy's wait.
	assert.Contains(t, got, `"reason": "edit the candidate of SYD-EX-01: rpc-error operation-failed: NETCONF timeout (fault netconf-olt); again in PT10M"`)
	delete(wantHits, "netconf-olt")
	delete(gotHits, "netconf-olt")
	assert.Equal(t, wantHits, gotHits, "the rules of the systems left in process hit as before")
}

// BenchmarkWorkedExampleOutside is the worked example run with every
// network system outside, over NETCONF, NetBox REST, RADIUS CoA, PnP and
// STAMP on loopback, against a fresh twin serve per run (what one run
// allocates stays allocated there), at a scale of 1e7: the scenario's 35
// days take 0.3 s, and a year of virtual time, the longest an outside
// call is waited for, still 3 s. It reports the 30 resource order items
// per second of the run; the CE routers' call home (a second between
// calls while their configuration is not complete) bounds it.
func BenchmarkWorkedExampleOutside(b *testing.B) {
	var ran time.Duration
	for b.Loop() {
		b.StopTimer()
		served, path := serveScenario(b, example)
		b.StartTimer()
		start := time.Now()
		got, _, err := runOut(example, "--format", "json", "--adapters", path, "--scale", "1e7")
		ran += time.Since(start)
		if err != nil {
			require.Contains(b, err.Error(), "expectation(s) failed")
		}
		require.Contains(b, got, `"outcome": "completed"`)
		b.StopTimer()
		served.Close()
		b.StartTimer()
	}
	b.ReportMetric(30*float64(b.N)/ran.Seconds(), "ROI/s")
}

// serveScenario runs twin serve of a scenario file in the test process on
// loopback, its log discarded, its adapters file naming systems (every
// system it serves if none); the caller closes it.
func serveScenario(t testing.TB, file string, systems ...string) (served *servedTwin, adapters string) {
	t.Helper()
	sc, err := scenarios.Load(file)
	require.NoError(t, err)
	adapters = filepath.Join(t.TempDir(), "adapters.yaml")
	opt := servedOptionsOf(sc)
	opt.Host, opt.AdaptersOut, opt.Systems, opt.Log = "127.0.0.1", adapters, systems, slog.New(slog.DiscardHandler)
	served, err = serveTwin(context.Background(), opt)
	require.NoError(t, err)
	return served, adapters
}

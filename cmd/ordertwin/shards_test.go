package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/store/storetest"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Three instances of one deployment on PostgreSQL (serve --shards 6) run
// the national rollout: 400 customers' orders, 10,000 sites, 60,000
// resource order items, spread over six shards, two an instance. One
// instance is killed with SIGKILL mid-run; the two others take its
// shards over (from each shard's latest snapshot and the inputs after
// it) within a bound, and every order completes, once, as the rollout
// does on one instance (`run`: every order completed). No resource is
// handed out twice: the shards' twins take every port, VLAN, subnet and
// router in one ledger (docs/architecture.md §7, "Scale-out").
func TestShardsNationalRollout(t *testing.T) {
	if testing.Short() {
		t.Skip("the national rollout on three instances takes a minute or more")
	}
	url := storetest.Postgres(t)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // the development issuer's key of the database
	bin := buildOrdertwin(t)

	const shards = 6
	logs := &lockedBuffer{}
	var instances []*instance
	start := func() {
		instances = append(instances, startInstance(t, bin, logs, "../../scenarios/national-rollout.yaml", "--db", url, "--shards", strconv.Itoa(shards),
			"--addr", "127.0.0.1:0", "--scale", "100000", "--hub-allow", "127.0.0.0/8"))
	}
	stopAll(t, logs, &instances)
	start()
	waitOwners(t, url, 30*time.Second, func(o map[int]string) bool { return len(o) == shards })
	token := shardToken(t, url)
	// A hub listener registered once, through one instance, as the rollout
	// begins: every shard tells it its own events.
	hear := newListener(t)
	c := &client{base: instances[0].base, http: &http.Client{Timeout: 30 * time.Second}, token: token}
	var hub map[string]any
	require.Eventually(t, func() bool { // sent again, with its key, while the shards are busy
		err := c.post(context.Background(), tmf630.ProductOrdering+"/hub", "national", map[string]string{"callback": hear.srv.URL}, &hub)
		if err != nil {
			t.Log(err)
		}
		return err == nil
	}, 2*time.Minute, 100*time.Millisecond)
	start()
	start()
	// Two shards an instance: the first to start took all six, and hands
	// over what is beyond its share as the others join.
	owners := waitOwners(t, url, 30*time.Second, func(o map[int]string) bool {
		return len(o) == shards && slices.Equal(countBy(o), []int{2, 2, 2})
	})
	// Mid-run: the victim's shards have placed orders and not finished.
	victim := instances[1]
	require.Eventually(t, func() bool {
		n, _ := ordersIn(t, victim.base, token, victim.shards(owners), "completed")
		return n > 0
	}, 3*time.Minute, 100*time.Millisecond, "the victim's shards complete orders") // three instances under -race on two cores
	n, total := ordersIn(t, victim.base, token, victim.shards(owners), "completed")
	require.Less(t, n, total, "killed mid-run: some of its orders are not complete")
	killed := time.Now()
	require.NoError(t, victim.cmd.Process.Signal(syscall.SIGKILL))
	victim.cmd.Wait()
	instances = slices.Delete(instances, 1, 2)
	moved := waitOwners(t, url, 30*time.Second, func(o map[int]string) bool {
		return len(o) == shards && !slices.Contains(slices.Collect(maps.Values(o)), victim.base)
	})
	takeover := time.Since(killed)
	t.Logf("the killed instance's shards %v moved in %s: %v", victim.shards(owners), takeover.Round(time.Millisecond), moved)
	assert.Less(t, takeover, 15*time.Second, "a takeover within a poll of the session's end and the shards' rebuild")
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, `"msg":"shard taken"`) {
			t.Log(strings.TrimSpace(line)) // each shard's rebuild: records and time
		}
	}

	// Every order completes: 400, each once, in the shard of its customer.
	front := instances[0].base
	require.Eventually(t, func() bool {
		n, _ := ordersIn(t, front, token, allShards(shards), "completed")
		return n == 400
	}, 8*time.Minute, time.Second, "every order of the rollout completes")
	// Ready: every shard runs somewhere, and each run here is ready itself
	// (its engine answers, its store writes).
	for _, in := range instances {
		resp, err := http.Get(in.base + "/readyz")
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", in.base, body)
	}
	seen := map[string]int{}
	inUse := map[string]string{} // resource id → shard
	for s := range shards {
		for _, po := range listAll(t, front, token, s, "/tmf-api/productOrderingManagement/v4/productOrder?fields=state") {
			seen[po.ID]++
			assert.Equal(t, "completed", po.State, "order %s", po.ID)
		}
		for _, r := range listAll(t, front, token, s, "/tmf-api/resourceInventoryManagement/v4/resource?fields=@type,resourceCharacteristic") {
			switch r.lifecycle() {
			case "released", "terminated", "replaced", "lost":
				continue
			}
			if r.Type == "QoSPolicy" {
				continue // a template, bound by many
			}
			if other, twice := inUse[r.ID]; twice {
				t.Errorf("%s %s is held twice: in shards %s and %d", r.Type, r.ID, other, s)
			}
			inUse[r.ID] = strconv.Itoa(s)
		}
	}
	assert.Len(t, seen, 400, "400 orders")
	for id, n := range seen {
		assert.Equal(t, 1, n, "order %s is in %d shards", id, n)
	}
	// Any instance answers any request: a list merged from every shard,
	// an order of a shard another instance runs.
	for _, in := range instances {
		merged := listAll(t, in.base, token, -1, "/tmf-api/productOrderingManagement/v4/productOrder?fields=state")
		assert.Len(t, merged, 400, "the list of every shard's orders, from %s", in.base)
		for id := range seen {
			req, err := http.NewRequest(http.MethodGet, in.base+"/tmf-api/productOrderingManagement/v4/productOrder/"+id, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode, "order %s from %s", id, in.base)
		}
	}
	assert.Greater(t, len(inUse), 10000*4, "ports, VLANs, subnets, routers and probes of 10,000 sites")
	// Every order event of every shard since the listener's registration
	// was heard, at least once (a killed instance's shards resume from
	// their delivery cursors), in each shard's journal order; an event id
	// is one shard's.
	var owed [][]string
	for s := range shards {
		seqs, err := owedEvents(shardStoreURL(t, url, s))
		require.NoError(t, err)
		ids := make([]string, len(seqs))
		for i, seq := range seqs {
			n, _ := strconv.Atoi(seq)
			ids[i] = strconv.Itoa(tmf.IDSpace{Shards: shards, Shard: s}.Nth(n))
		}
		owed = append(owed, ids)
	}
	require.Eventually(t, func() bool {
		heard := hear.heard()
		for _, ids := range owed {
			for _, id := range ids {
				if !heard[id] {
					return false
				}
			}
		}
		return true
	}, time.Minute, 100*time.Millisecond, "every event owed heard")
	first := hear.firstHeard()
	for s, ids := range owed {
		var mine []string
		in := map[string]bool{}
		for _, id := range ids {
			in[id] = true
		}
		for _, id := range first {
			if in[id] {
				mine = append(mine, id)
			}
		}
		assert.Equal(t, ids, mine, "shard %d's events heard first in its journal's order", s)
	}
	t.Logf("the listener heard %d events of %d owed", len(hear.events), func() (n int) {
		for _, ids := range owed {
			n += len(ids)
		}
		return n
	}())
	onOne, err := cli("run", "../../scenarios/national-rollout.yaml")
	require.NoError(t, err)
	assert.Contains(t, onOne, "outcome completed", "on one instance, every order completes too")
}

// shardStoreURL is the URL of shard's store of the deployment at url:
// its schema's, with _shard_K.
func shardStoreURL(t *testing.T, url string, shard int) string {
	t.Helper()
	u, err := neturl.Parse(url)
	require.NoError(t, err)
	q := u.Query()
	require.NotEmpty(t, q.Get("search_path"), url)
	q.Set("search_path", fmt.Sprintf("%s_shard_%d", q.Get("search_path"), shard))
	u.RawQuery = q.Encode()
	return u.String()
}

// heard is the event ids the listener heard.
func (l *listener) heard() map[string]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]bool{}
	for _, ev := range l.events {
		out[ev.EventID] = true
	}
	return out
}

// firstHeard is the event ids the listener heard, each where it was
// first.
func (l *listener) firstHeard() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	seen := map[string]bool{}
	for _, ev := range l.events {
		if !seen[ev.EventID] {
			seen[ev.EventID] = true
			out = append(out, ev.EventID)
		}
	}
	return out
}

// instance is a sharded server process.
// buildOrdertwin builds the command for instances of a test of their
// own, without the race detector (60,000 items under it would take many
// minutes).
func buildOrdertwin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ordertwin")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// stopAll ends the instances when the test ends (SIGINT: each lets its
// shards go), those that have not ended already, and shows their logs if
// it failed.
func stopAll(t *testing.T, logs *lockedBuffer, instances *[]*instance) {
	t.Cleanup(func() {
		for _, in := range *instances {
			if in.cmd.ProcessState == nil {
				in.cmd.Process.Signal(os.Interrupt)
				in.cmd.Wait()
			}
		}
		if t.Failed() {
			t.Log(logs.String())
		}
	})
}

type instance struct {
	cmd  *exec.Cmd
	base string
}

// shards are the shards owners says the instance holds.
func (in *instance) shards(owners map[int]string) []int {
	var out []int
	for s, o := range owners {
		if o == in.base {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// startInstance runs bin as `ordertwin serve ARGS…`, its log to logs, and
// waits until it listens.
func startInstance(t *testing.T, bin string, logs io.Writer, args ...string) *instance {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	line := startedLine(t, cmd, logs)
	m := regexp.MustCompile(`reached at (\S+)\)`).FindStringSubmatch(line)
	require.NotNil(t, m, line)
	return &instance{cmd: cmd, base: m[1]}
}

// waitOwners waits until the shards' owners are as done says, and
// returns them.
func waitOwners(t *testing.T, url string, within time.Duration, done func(map[int]string) bool) map[int]string {
	t.Helper()
	var o map[int]string
	require.Eventually(t, func() bool {
		var err error
		o, err = postgres.ShardOwners(context.Background(), url)
		return err == nil && done(o)
	}, within, 20*time.Millisecond, "the shards' owners: %v", o)
	return o
}

// countBy counts the shards of each owner, fewest first.
func countBy(owners map[int]string) []int {
	n := map[string]int{}
	for _, o := range owners {
		n[o]++
	}
	return slices.Sorted(maps.Values(n))
}

// shardToken is an admin token of the development issuer of the
// deployment at url.
func shardToken(t *testing.T, url string) string {
	t.Helper()
	return devToken(t, url, auth.Role("admin"), "")
}

// ordersIn counts the product orders of shards in state, and all of
// them, from their metrics, asked of the instance at base.
func ordersIn(t *testing.T, base, token string, shards []int, state string) (n, total int) {
	t.Helper()
	for _, s := range shards {
		req, err := http.NewRequest(http.MethodGet, base+"/metrics", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set(shardHeader, strconv.Itoa(s))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, 0
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, 0 // the shard is moving
		}
		for line := range strings.Lines(string(body)) {
			if rest, ok := strings.CutPrefix(line, `ordertwin_product_orders{state="`); ok {
				st, count, _ := strings.Cut(rest, `"} `)
				v, _ := strconv.Atoi(strings.TrimSpace(count))
				total += v
				if st == state {
					n += v
				}
			}
		}
	}
	return n, total
}

// listed is an entity of a list: an order or a resource.
type listed struct {
	ID    string `json:"id"`
	Type  string `json:"@type"`
	State string `json:"state"`
	Chars []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"resourceCharacteristic"`
}

// lifecycle is a resource's own state (its lifecycleState).
func (l listed) lifecycle() string {
	for _, c := range l.Chars {
		if c.Name == "lifecycleState" {
			return c.Value
		}
	}
	return ""
}

// listAll reads every page of a list of the shard (-1: of every shard,
// merged by the instance).
func listAll(t *testing.T, base, token string, shard int, path string) []listed {
	t.Helper()
	var all []listed
	for offset := 0; ; offset += 1000 {
		req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%s%s&limit=1000&offset=%d", base, path, offset), nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		if shard >= 0 {
			req.Header.Set(shardHeader, strconv.Itoa(shard))
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var page []listed
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		require.NoError(t, err)
		all = append(all, page...)
		if len(page) < 1000 {
			return all
		}
	}
}

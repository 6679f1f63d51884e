package main

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api/orderwire"
	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/ordertwin/ordertwin/core/auth"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/core/system"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// freePort finds a port nobody listens on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// COM, SOM and ROM in three processes, SOM and ROM killed with SIGKILL at
// random points of the rollout and restarted on their stores: the worked
// example placed on COM still completes, every service and resource order
// once and completed, with the thirty resource order items (issue: COM,
// SOM and ROM as separate processes; crash safety; docs/architecture.md §9).
func TestSplitProcessesSurviveKills(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three servers and kills two of them; -short skips it")
	}
	// Snapshots every few inputs: kills fall between them, and the peer
	// links restart from them.
	d := startSplit(t, "1500000", "--snapshot-every", "20")
	c, po := d.place(t)
	rng := rand.New(rand.NewPCG(7, 3))
	for _, role := range []string{"som", "rom", "som", "rom", "som"} {
		time.Sleep(time.Duration(100+rng.IntN(300)) * time.Millisecond)
		d.restart(t, role, io.Discard)
	}
	d.checkDone(t, c, po)
	for _, role := range []string{"som", "rom"} {
		st, err := sqlite.Open(d.db(role), sqlite.Options{})
		require.NoError(t, err)
		_, ok, err := st.LatestSnapshot()
		require.NoError(t, err)
		assert.True(t, ok, "%s took snapshots between the kills", role)
		require.NoError(t, st.Close())
	}
}

// §2 snapshots taken beside the engine, in a split deployment: SOM and
// ROM, each its own process, have their snapshots taken by helper
// processes (--snapshot-by helper) that rebuild that role's state alone;
// each is killed with SIGKILL once its helper's first snapshot is kept,
// and its restart resumes from it. The rollout placed on COM still
// completes as in TestSplitProcessesSurviveKills. The kills wait for the
// snapshots, however slowly the helpers (at nice 10) run.
func TestSplitProcessesResumeFromHelperSnapshots(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three servers and their snapshot helpers; -short skips it")
	}
	d := startSplit(t, "300000", "--snapshot-every", "20", "--snapshot-by", "helper")
	c, po := d.place(t)
	helped := regexp.MustCompile(`"msg":"snapshot","inputs":(\d+),[^\n]*"stood":"0s"[^\n]*"helperCPU"`)
	resumed := regexp.MustCompile(`"msg":"resumed","snapshot":true,"fromInput":(\d+),`)
	for _, role := range []string{"som", "rom"} {
		log := d.logs[role]
		for deadline := time.Now().Add(60 * time.Second); !helped.MatchString(log.String()); time.Sleep(20 * time.Millisecond) {
			require.True(t, time.Now().Before(deadline), "%s: no snapshot by a helper in 60 s:\n%s", role, log.String())
		}
		before := log.String()
		d.restart(t, role, log)
		from := resumed.FindStringSubmatch(log.String()[len(before):])
		require.NotNil(t, from, "%s's restart resumes from a snapshot:\n%s", role, log.String()[len(before):])
		byHelper := false
		for _, m := range helped.FindAllStringSubmatch(before, -1) {
			byHelper = byHelper || m[1] == from[1]
		}
		assert.True(t, byHelper, "%s resumed from input %s, a snapshot its helper took", role, from[1])
	}
	d.checkDone(t, c, po)
}

// split is a deployment of COM, SOM and ROM in three processes, each on
// a store of its own in dir.
type split struct {
	dir   string
	args  func(role string) []string
	procs map[string]*server
	logs  map[string]*lockedBuffer
}

func (d *split) db(role string) string { return filepath.Join(d.dir, role+".db") }

// startSplit starts the three processes at scale, with more flags for
// each; resource orders leave ROM's memory an hour after they end (TMF652
// answers for them from the store). They are killed when the test ends.
func startSplit(t *testing.T, scale string, more ...string) *split {
	t.Helper()
	d := &split{dir: t.TempDir(), procs: map[string]*server{}, logs: map[string]*lockedBuffer{}}
	addr := map[string]string{"com": freePort(t), "som": freePort(t), "rom": freePort(t)}
	start := time.Now().UTC().Format(time.RFC3339Nano)
	secret := filepath.Join(d.dir, "peer.secret")
	require.NoError(t, os.WriteFile(secret, []byte("a secret the three processes share, 32 bytes or more\n"), 0o600))
	d.args = func(role string) []string {
		a := []string{"--role", role, "--addr", addr[role], "--db", d.db(role), "--start", start, "--scale", scale, "--peer-secret", secret,
			"--retention", "PT1H"}
		for _, to := range system.Roles[role].Needs {
			name := map[string]string{"COM": "com", "SOM": "som", "ROM": "rom"}[to.String()]
			a = append(a, "--peer", name+"=http://"+addr[name])
		}
		return append(a, more...)
	}
	t.Cleanup(func() {
		for _, p := range d.procs {
			p.kill(t)
		}
	})
	for _, role := range []string{"rom", "som", "com"} {
		d.logs[role] = &lockedBuffer{}
		d.procs[role] = startServe(t, d.logs[role], d.args(role)...)
	}
	return d
}

// restart kills role's process with SIGKILL and starts it again on its
// store, its log to w.
func (d *split) restart(t *testing.T, role string, w io.Writer) {
	t.Helper()
	d.procs[role].kill(t)
	d.procs[role] = startServe(t, w, d.args(role)...)
}

// place places the worked example's order on COM.
func (d *split) place(t *testing.T) (*client, tmf622.ProductOrder) {
	t.Helper()
	example, err := scenarios.Load("../../scenarios/globaltech-5site.yaml")
	require.NoError(t, err)
	q := example.Spec.Orders[0].Quote
	c := &client{base: d.procs["com"].base, http: &http.Client{Timeout: 5 * time.Second}, token: devToken(t, d.db("com"), auth.Sales, q.Customer.ID)}
	ctx := context.Background()
	var quote tmf648.Quote
	require.NoError(t, c.post(ctx, tmf630.QuoteManagement+"/quote", "q", tmf648.NewQuoteBody(q, "AUD"), &quote))
	var po tmf622.ProductOrder
	require.NoError(t, c.post(ctx, tmf630.ProductOrdering+"/productOrder", "o", tmf622.NewOrderBody(quote.ID, q, "SPLIT-1"), &po))
	return c, po
}

// checkDone waits until the order ends, and checks it completed with
// every service and resource order once and completed.
func (d *split) checkDone(t *testing.T, c *client, po tmf622.ProductOrder) {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(60 * time.Second); !lc.IsFinal(lc.ProductOrder, po.State); {
		require.True(t, time.Now().Before(deadline), "the order did not end: %s", po.State)
		time.Sleep(50 * time.Millisecond)
		require.NoError(t, c.get(ctx, tmf630.ProductOrdering+"/productOrder/"+po.ID, &po))
	}
	assert.Equal(t, "completed", po.State)

	var sos []orderwire.ServiceOrder
	require.NoError(t, (&client{base: d.procs["som"].base, http: c.http, token: devToken(t, d.db("som"), auth.Operations, "")}).get(ctx, tmf630.ServiceOrdering+"/serviceOrder", &sos))
	require.Len(t, sos, 3, "Pilot, Wave 1, Wave 2: each once")
	for _, so := range sos {
		assert.Equal(t, "completed", so.State, so.ID)
	}
	var ros []orderwire.ResourceOrder
	require.NoError(t, (&client{base: d.procs["rom"].base, http: c.http, token: devToken(t, d.db("rom"), auth.Operations, "")}).get(ctx, tmf630.ResourceOrdering+"/resourceOrder", &ros))
	require.Len(t, ros, 5, "one per site, each once, read from the shelf once retired")
	items := 0
	for _, ro := range ros {
		assert.Equal(t, "completed", ro.State, ro.ID)
		items += len(ro.OrderItem)
	}
	assert.Equal(t, 30, items)
}

package main

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
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
	dir := t.TempDir()
	addr := map[string]string{"com": freePort(t), "som": freePort(t), "rom": freePort(t)}
	start := time.Now().UTC().Format(time.RFC3339Nano)
	secret := filepath.Join(dir, "peer.secret")
	require.NoError(t, os.WriteFile(secret, []byte("a secret the three processes share, 32 bytes or more\n"), 0o600))
	db := func(role string) string { return filepath.Join(dir, role+".db") }
	args := func(role string) []string {
		// Snapshots every few inputs: kills fall between them, and the peer
		// links restart from them. Resource orders leave ROM's memory an
		// hour after they end: TMF652 answers for them from the store.
		a := []string{"--role", role, "--addr", addr[role], "--db", db(role), "--start", start, "--scale", "1500000", "--peer-secret", secret,
			"--snapshot-every", "20", "--retention", "PT1H"}
		for _, to := range system.Roles[role].Needs {
			name := map[string]string{"COM": "com", "SOM": "som", "ROM": "rom"}[to.String()]
			a = append(a, "--peer", name+"=http://"+addr[name])
		}
		return a
	}
	procs := map[string]*server{}
	for _, role := range []string{"rom", "som", "com"} {
		procs[role] = startServe(t, io.Discard, args(role)...)
	}
	defer func() {
		for _, p := range procs {
			p.kill(t)
		}
	}()

	example, err := scenarios.Load("../../scenarios/globaltech-5site.yaml")
	require.NoError(t, err)
	q := example.Spec.Orders[0].Quote
	c := &client{base: procs["com"].base, http: &http.Client{Timeout: 5 * time.Second}, token: devToken(t, db("com"), auth.Sales, q.Customer.ID)}
	ctx := context.Background()
	var quote tmf648.Quote
	require.NoError(t, c.post(ctx, tmf630.QuoteManagement+"/quote", "q", tmf648.NewQuoteBody(q, "AUD"), &quote))
	var po tmf622.ProductOrder
	require.NoError(t, c.post(ctx, tmf630.ProductOrdering+"/productOrder", "o", tmf622.NewOrderBody(quote.ID, q, "SPLIT-1"), &po))

	rng := rand.New(rand.NewPCG(7, 3))
	for _, role := range []string{"som", "rom", "som", "rom", "som"} {
		time.Sleep(time.Duration(100+rng.IntN(300)) * time.Millisecond)
		procs[role].kill(t)
		procs[role] = startServe(t, io.Discard, args(role)...)
	}
	for deadline := time.Now().Add(60 * time.Second); !lc.IsFinal(lc.ProductOrder, po.State); {
		require.True(t, time.Now().Before(deadline), "the order did not end: %s", po.State)
		time.Sleep(50 * time.Millisecond)
		require.NoError(t, c.get(ctx, tmf630.ProductOrdering+"/productOrder/"+po.ID, &po))
	}
	assert.Equal(t, "completed", po.State)

	var sos []orderwire.ServiceOrder
	require.NoError(t, (&client{base: procs["som"].base, http: c.http, token: devToken(t, db("som"), auth.Operations, "")}).get(ctx, tmf630.ServiceOrdering+"/serviceOrder", &sos))
	require.Len(t, sos, 3, "Pilot, Wave 1, Wave 2: each once")
	for _, so := range sos {
		assert.Equal(t, "completed", so.State, so.ID)
	}
	var ros []orderwire.ResourceOrder
	require.NoError(t, (&client{base: procs["rom"].base, http: c.http, token: devToken(t, db("rom"), auth.Operations, "")}).get(ctx, tmf630.ResourceOrdering+"/resourceOrder", &ros))
	require.Len(t, ros, 5, "one per site, each once, read from the shelf once retired")
	items := 0
	for _, ro := range ros {
		assert.Equal(t, "completed", ro.State, ro.ID)
		items += len(ro.OrderItem)
	}
	assert.Equal(t, 30, items)
	for _, role := range []string{"som", "rom"} {
		st, err := sqlite.Open(db(role), sqlite.Options{})
		require.NoError(t, err)
		_, ok, err := st.LatestSnapshot()
		require.NoError(t, err)
		assert.True(t, ok, "%s took snapshots between the kills", role)
		require.NoError(t, st.Close())
	}
}

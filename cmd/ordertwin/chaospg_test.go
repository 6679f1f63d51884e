package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/bench/chaos"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/worklist"
	"github.com/ordertwin/ordertwin/core/store/postgres"
	"github.com/ordertwin/ordertwin/core/store/storetest"
)

// chaosDatabase is the test PostgreSQL's database, without the schema
// storetest made for t: chaos makes its own.
func chaosDatabase(t *testing.T) string {
	t.Helper()
	u, err := neturl.Parse(storetest.Postgres(t))
	require.NoError(t, err)
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	return u.String()
}

// chaosSchemas lists the schemas of db whose name begins with prefix.
func chaosSchemas(t *testing.T, db, prefix string) []string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), db)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1) ORDER BY nspname`, prefix)
	require.NoError(t, err)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return names
}

// A short failure run on PostgreSQL: two instances of one deployment
// (serve --shards 2) take orders in turn while each is killed and
// restarted once and paused once, and two twin faults, injected through
// an instance into every shard's twin, fail the calls they match; the
// killed one's shard is taken over by the other and handed back. Every order is acknowledged once and ends as
// in an uninterrupted run on a deployment alike, nothing is held twice,
// each shard's events reach the listener in its journal's order
// (docs/load.md, "On PostgreSQL"). The run's schemas, its shards' and the
// issuer's keys are gone after it, as its folder is.
func TestChaosOnPostgres(t *testing.T) {
	serveTestBinary(t)
	db := chaosDatabase(t)
	config, tmp := t.TempDir(), t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config) // the development issuer's keys of the run's schemas
	t.Setenv("TMPDIR", tmp)
	report := filepath.Join(t.TempDir(), "chaos.json")
	var out bytes.Buffer
	err := chaosCmd(context.Background(), []string{"--db", db, "--duration", "5s", "--rate", "10", "--faults", "6",
		"--kinds", "kill,pause,twin", "--seed", "5", "--json", report}, &out)
	require.NoError(t, err, out.String())
	assert.Contains(t, out.String(), "PASS")
	assert.Contains(t, out.String(), "deployment: PostgreSQL, 2 instances, 2 shards\n")

	var rep chaos.Report
	b, err := os.ReadFile(report)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.True(t, rep.Verdict.Pass)
	assert.Equal(t, "PostgreSQL, 2 instances, 2 shards", rep.Deployment)
	assert.Contains(t, out.String(), "the uninterrupted run (seed 5, no faults):\n  50 orders acknowledged")
	assert.Equal(t, 50, rep.Orders, "every order of the run acknowledged")
	hit, reached := map[string]int{}, 0
	for _, h := range rep.Faults {
		assert.Empty(t, h.Error, h.Name)
		hit[string(h.Kind)+"@"+h.Process]++
		if h.Kind == chaos.Kill {
			assert.Positive(t, h.RestartSeconds, "the restart was timed")
		}
		if h.Kind == chaos.Twin && h.SpentSeconds > 0 {
			reached++ // a late one may not meet its calls before the run ends
		}
	}
	assert.Equal(t, map[string]int{"kill@instance-1": 1, "kill@instance-2": 1, "pause@instance-1": 1, "pause@instance-2": 1, "twin@": 2}, hit)
	assert.Positive(t, reached, "a twin fault injected through an instance failed a shard's calls")
	assert.Contains(t, out.String(), "@instance-2 ")
	for _, c := range rep.Verdict.Checks {
		if c.Name == chaos.CheckDiskFull {
			assert.Equal(t, "the run filled no disk", c.Skipped)
		} else {
			assert.Empty(t, c.Skipped, c.Name)
		}
	}
	require.Len(t, rep.Owed, 2, "each shard's journal read")
	for s, n := range rep.Owed {
		assert.Positive(t, n, "shard %d owes the listener its orders' events", s)
	}
	assert.GreaterOrEqual(t, rep.Heard, rep.Owed[0]+rep.Owed[1])
	assert.Equal(t, 50, rep.OrderStates["completed"])

	assert.Empty(t, chaosSchemas(t, db, "chaos_5_"), "the runs' schemas dropped")
	left, err := filepath.Glob(filepath.Join(tmp, chaosTemp+"*"))
	require.NoError(t, err)
	assert.Empty(t, left, "the run's folder removed")
	keys, err := filepath.Glob(filepath.Join(config, "ordertwin", "*.issuer.pem"))
	require.NoError(t, err)
	assert.Empty(t, keys, "the issuer's keys of the dropped schemas removed")
}

// The checker on a deployment of two shards that loses an order on
// purpose: it answered 201 for k2, and shard 1, whose customer's it is,
// does not list it. The lists are read shard by shard (never cut at a
// merged page), and each shard's journal is judged on its own.
func TestChaosOnPostgresCatchesALostOrder(t *testing.T) {
	var mu sync.Mutex
	asked := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		shard := r.Header.Get(shardHeader)
		mu.Lock()
		asked[shard]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == tmf630.ProductOrdering+"/productOrder" && r.URL.Query().Get("offset") == "0" && shard == "0":
			_, _ = w.Write([]byte(`[{"id":"PO-1","externalId":"k1","state":"completed"}]`))
		case r.URL.Path == tmf630.ProductOrdering+"/productOrder", r.URL.Path == worklist.ItemPath, r.URL.Path == tmf630.ResourceInventory+"/resource":
			_, _ = w.Write([]byte(`[]`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	run := &chaosRun{db: &chaosDB{instances: 2, shards: 2}}
	c := &client{base: srv.URL, http: srv.Client()}
	ev, err := run.gatherEvidence(context.Background(), c)
	require.NoError(t, err)
	require.NoError(t, run.gatherResources(context.Background(), c, &ev))
	assert.Equal(t, map[string]int{"0": 3, "1": 3}, asked, "orders, worklist and resources of each shard")
	ev.Answered = map[string][]string{"k1": {"PO-1"}, "k2": {"PO-2"}}
	ev.Journals = [][]string{{"1", "3"}, {"2"}}
	ev.Heard = []string{"1", "2", "3"}
	failsOnly(t, chaos.Judge(ev), chaos.CheckOnce, "k2: acknowledged as PO-2, which the server does not list: lost")
}

// Flags that make no sense with PostgreSQL are refused before anything
// starts, each saying why.
func TestChaosOnPostgresBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--db", "some.db"}, "--db some.db: want a PostgreSQL database (postgres://USER@HOST:PORT/DB)"},
		{[]string{"--instances", "3"}, "--instances is for --db postgres://…"},
		{[]string{"--shards", "3"}, "--shards is for --db postgres://…"},
		{[]string{"--db", "postgres://u@127.0.0.1:1/db", "--split"}, "--split and --db: each instance of a deployment on PostgreSQL serves COM, SOM and ROM together"},
		{[]string{"--db", "postgres://u@127.0.0.1:1/db", "--kinds", "kill,disk-full"}, "a PostgreSQL database's disk is its server's, which the run does not own"},
		{[]string{"--db", "postgres://u@127.0.0.1:1/db?search_path=mine"}, "names a schema (search_path): give the database only"},
		{[]string{"--db", "postgres://u@127.0.0.1:1/db", "--instances", "0"}, "--instances 0: want from 1 to 16"},
		{[]string{"--db", "postgres://u@127.0.0.1:1/db", "--shards", "0"}, "--shards 0: want from 1 to 64"},
		{[]string{"--db", "postgres://u:secret@127.0.0.1:1/db"}, "chaos: --db postgres://u:xxxxx@127.0.0.1:1/db: "},
	} {
		err := chaosCmd(context.Background(), append(c.args, "--dir", filepath.Join(dir, "work")), &bytes.Buffer{})
		assert.ErrorContains(t, err, c.want, "%v", c.args)
		if err != nil {
			assert.NotContains(t, err.Error(), "secret")
		}
		_, statErr := os.Stat(filepath.Join(dir, "work"))
		assert.True(t, os.IsNotExist(statErr), "%v: nothing started", c.args)
	}
}

// The schemas a killed run made are dropped by the next run's sweep, as
// its folder is removed: the folder names them.
func TestChaosSweepsLeftoverSchemas(t *testing.T) {
	db := chaosDatabase(t)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	tmp := t.TempDir()
	dead := filepath.Join(tmp, chaosTemp+"1")
	require.NoError(t, os.MkdirAll(filepath.Join(dead, "run"), 0o755))
	unlock, err := markLive(dead)
	require.NoError(t, err)
	unlock()
	d := &chaosDB{url: db, instances: 2, shards: 2}
	schema, name, err := d.newSchema(filepath.Join(dead, "run"), "run", 9)
	require.NoError(t, err)
	_, err = postgres.CreateSchema(db, name+"_shard_0")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(devKeyFile(schema), []byte("key"), 0o600))
	require.Len(t, chaosSchemas(t, db, name), 2)

	var out bytes.Buffer
	sweepLeftovers(tmp, &out)
	assert.Equal(t, "chaos: removed "+dead+", left by an earlier run that did not end cleanly (killed)\n", out.String())
	assert.Empty(t, chaosSchemas(t, db, name), "its schema and its shards' dropped")
	_, err = os.Stat(devKeyFile(schema))
	assert.True(t, os.IsNotExist(err), "its issuer's key removed")
	assert.True(t, strings.HasPrefix(name, "chaos_9_"), name)
}

package main

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/store/storetest"
	"github.com/ordertwin/ordertwin/scenarios"
)

// lockedBuffer keeps what the servers log, written by the goroutines that
// copy their stderr.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// run --db postgres://… journals the worked example into PostgreSQL and
// reports what it reports on SQLite, line for line; a database that
// already holds a run is refused (docs/architecture.md §7).
func TestRunOnPostgres(t *testing.T) {
	onSQLite, err := cli("run", example, "--db", filepath.Join(t.TempDir(), "run.db"))
	require.NoError(t, err)
	url := storetest.Postgres(t)
	onPostgres, err := cli("run", example, "--db", url)
	require.NoError(t, err)
	assert.Contains(t, onPostgres, "Expectations: 46 passed, 0 failed")
	assert.Equal(t, onSQLite, onPostgres, "the same report on either store")
	st, err := openStore(url, nil)
	require.NoError(t, err)
	n := st.Len()
	require.NoError(t, st.Close())
	assert.Greater(t, n, 100)
	_, err = cli("run", example, "--db", url)
	assert.Equal(t, 2, status(err))
	assert.ErrorContains(t, err, "already holds")
	out, err := cli("bench", "--orders", "20", "--durable", "--db", url)
	require.NoError(t, err)
	assert.Regexp(t, `\n +20 +100 +600 `, out, "20 orders, 100 sites, 600 ROIs on a schema of its own")
	// What works on SQLite files only says so.
	_, err = cli("compact", url, "--archive", filepath.Join(t.TempDir(), "archive.db"))
	assert.ErrorContains(t, err, "a PostgreSQL store is not compacted")
	_, err = cli("bench", "--soak", "--db", url)
	assert.ErrorContains(t, err, "a soak runs on a SQLite file")
	_, err = cli("bench", "--durable", "--db", "some.db")
	assert.ErrorContains(t, err, "want a PostgreSQL URL")
}

// serve --db postgres://… serves the worked example's rollout, with a
// second order placed over HTTP, on PostgreSQL: killed with SIGKILL ten
// times and restarted, the restarts after the first snapshot (every 200
// inputs) resume from the latest snapshot and the tail after it, and the rollout ends as it does served on SQLite and
// never killed: the same orders, sites, resources and billing, every
// order event heard (docs/architecture.md §2, §7).
func TestServeOnPostgres(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // the development issuer's key of a database
	sc, err := scenarios.Load("../../scenarios/globaltech-5site.yaml")
	require.NoError(t, err)
	calm := filepath.Join(t.TempDir(), "calm.db")
	rollout(t, calm, 0, nil, nil)
	want := outcomeOf(t, sc, calm)

	url := storetest.Postgres(t)
	logs := &lockedBuffer{}
	heardAll(t, url, rollout(t, url, 10, rand.New(rand.NewPCG(13, 10)), logs))
	got := outcomeOf(t, sc, url)
	assert.Equal(t, want, got)
	assert.Equal(t, 11, strings.Count(logs.String(), `"msg":"serving"`), "served, and restarted ten times")
	assert.Contains(t, logs.String(), `"msg":"resumed","snapshot":true`, "a restart from a snapshot and its tail")
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, `"msg":"resumed"`) {
			t.Log(strings.TrimSpace(line))
		}
	}

	_, err = cli("serve", "--db", url, "--addr", "127.0.0.1:0")
	assert.ErrorContains(t, err, `it serves "GlobalTech`, "the store keeps what it serves")
}

package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/auth"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// §2 snapshots taken beside the engine (serve --snapshot-by helper; auto,
// the default, when commands come in): while the worked example's rollout is served, its
// snapshots are taken by a helper process, the engine never standing
// still for one (each logs "stood":"0s"); the store keeps it, and a server
// killed with SIGKILL after one restarts from it and the inputs after it.
// The rollout then ends as one served without a kill, and the state the
// store's latest snapshot holds is the one a replay from T+0 rebuilds.
func TestSnapshotsTakenByAHelper(t *testing.T) {
	if testing.Short() {
		t.Skip("serves the rollout twice, about 25 s; -short skips it")
	}
	example := "../../scenarios/globaltech-5site.yaml"
	sc, err := scenarios.Load(example)
	require.NoError(t, err)
	dir := t.TempDir()
	calm := filepath.Join(dir, "calm.db")
	helpedRollout(t, example, calm, nil)
	want := outcomeOf(t, sc, calm)
	require.Equal(t, map[string]string{"(scenario) PO-2024-01203": "completed"}, want.Orders)

	killed := filepath.Join(dir, "killed.db")
	logs := &lockedBuffer{}
	helpedRollout(t, example, killed, logs)
	assert.Equal(t, want, outcomeOf(t, sc, killed), "killed after a snapshot the helper took, the rollout ends as without")
	snapshotIsReplay(t, sc, killed)

	log := logs.String()
	for _, line := range strings.Split(log[:strings.LastIndex(log, `"msg":"shutting down"`)], "\n") {
		if strings.Contains(line, `"msg":"snapshot",`) {
			t.Log(line)
			assert.Contains(t, line, `"stood":"0s"`, "no snapshot stopped a serving engine")
		}
	}
}

// helpedRollout serves example's rollout on a new store db with a
// snapshot every 100 inputs, each taken by a helper. With logs, it kills the server once the
// helper's first snapshot is kept, checks that the restart resumes from
// it, and writes both servers' logs to logs. It returns once the order
// ended, the server stopped.
func helpedRollout(t *testing.T, example, db string, logs *lockedBuffer) {
	t.Helper()
	const scale = 300_000 // the 35-day rollout in about ten seconds
	args := []string{example, "--db", db, "--addr", "127.0.0.1:0", "--scale", fmt.Sprint(scale), "--snapshot-every", "100", "--snapshot-by", "helper"}
	if logs == nil {
		srv := startServe(t, &lockedBuffer{}, args...)
		waitEnded(t, srv.base, db)
		srv.stop(t)
		return
	}
	srv := startServe(t, logs, args...)
	helped := regexp.MustCompile(`"msg":"snapshot","inputs":(\d+),[^\n]*"stood":"0s"`)
	var first []string
	for deadline := time.Now().Add(30 * time.Second); first == nil; time.Sleep(20 * time.Millisecond) {
		require.True(t, time.Now().Before(deadline), "no snapshot by the helper in 30 s:\n%s", logs.String())
		first = helped.FindStringSubmatch(logs.String())
	}
	srv.kill(t)
	st, err := sqlite.Open(db, sqlite.Options{})
	require.NoError(t, err)
	latest, ok, err := st.LatestSnapshot()
	require.NoError(t, err)
	require.NoError(t, st.Close())
	require.True(t, ok)
	require.Equal(t, first[1], fmt.Sprint(latest.Inputs), "the store keeps the snapshot the helper took")

	srv = startServe(t, logs, args...)
	assert.Contains(t, logs.String(), fmt.Sprintf(`"msg":"resumed","snapshot":true,"fromInput":%d,`, latest.Inputs),
		"the restart loads the helper's snapshot and replays what followed")
	waitEnded(t, srv.base, db)
	srv.stop(t)
}

// waitEnded waits until every product order the server at base holds has
// ended.
func waitEnded(t *testing.T, base, db string) {
	t.Helper()
	c := &client{base: base, http: &http.Client{Timeout: 5 * time.Second}, token: devToken(t, db, auth.Admin, "")}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var list []tmf622.ProductOrder
		require.NoError(t, c.get(context.Background(), tmf630.ProductOrdering+"/productOrder?fields=state", &list))
		ended := 0
		for _, po := range list {
			if lc.IsFinal(lc.ProductOrder, po.State) {
				ended++
			}
		}
		if len(list) > 0 && ended == len(list) {
			return
		}
		require.True(t, time.Now().Before(deadline), "the orders did not end: %+v", list)
	}
}

// A server whose adapters file has a ZTP entry holds the entry's PnP port;
// its snapshot helpers, which load the same file, built that adapter too
// and failed on the port taken (every helper snapshot, so a crash
// replayed from the start). A helper builds the file's adapters as a dry
// run does, listening on nothing: its snapshots are kept.
func TestSnapshotHelperBesideAZTPAdapter(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "adapters.yaml")
	require.NoError(t, os.WriteFile(file, []byte("systems:\n  ztp:\n    kind: ztp\n    address: "+freePort(t)+"\n"), 0o600))
	db := filepath.Join(dir, "ztp.db")
	logs := &lockedBuffer{}
	srv := startServe(t, logs, "../../scenarios/globaltech-5site.yaml", "--db", db, "--addr", "127.0.0.1:0", "--scale", "300000",
		"--adapters", file, "--snapshot-every", "20", "--snapshot-by", "helper")
	defer srv.stop(t)
	helped := regexp.MustCompile(`"msg":"snapshot","inputs":\d+,[^\n]*"stood":"0s"`)
	for deadline := time.Now().Add(30 * time.Second); !helped.MatchString(logs.String()); time.Sleep(20 * time.Millisecond) {
		require.NotContains(t, logs.String(), "snapshot failed")
		require.True(t, time.Now().Before(deadline), "no snapshot by a helper in 30 s:\n%s", logs.String())
	}
	assert.NotContains(t, logs.String(), "address already in use")
}

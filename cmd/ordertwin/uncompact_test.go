package main

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// population writes the library's live population with n customers into
// dir, its catalog and network where the library keeps them.
func population(t *testing.T, dir string, n string) string {
	t.Helper()
	body, err := os.ReadFile("../../scenarios/live/population.yaml")
	require.NoError(t, err)
	lib, err := filepath.Abs("../../scenarios")
	require.NoError(t, err)
	s := strings.ReplaceAll(string(body), "../", lib+"/")
	s = strings.Replace(s, "customers: 15000", "customers: "+n, 1)
	require.Contains(t, s, "customers: "+n)
	file := filepath.Join(dir, "population.yaml")
	require.NoError(t, os.WriteFile(file, []byte(s), 0o600))
	return file
}

// ordersOf resumes a server's store as serve does (its latest snapshot, or
// a replay from T+0 when that cannot be used) with the scenario in file,
// and returns its product orders' states, or the resume's error.
func ordersOf(t *testing.T, file, db string) (map[string]string, error) {
	t.Helper()
	sc, err := scenarios.Load(file)
	require.NoError(t, err)
	sys, st, _, err := resume(context.Background(), sc, db, serveClockOptions{approvals: "twin"}, scenarios.Options{}, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	states := map[string]string{}
	for _, po := range sys.COM.Orders() {
		states[po.ID] = po.State
	}
	return states, nil
}

// A compacted store whose latest snapshot cannot be restored (its scenario
// edited: one customer more, so another network) cannot replay from T+0
// either: the error names the snapshot and why it cannot be used, that
// the records before it are in the archive, and the two ways back (§7
// Compaction). uncompact puts the archive's records back, and the store
// resumes from T+0 to the same orders and journal as before.
func TestUncompactRecoversAStoreWhoseSnapshotCannotBeRestored(t *testing.T) {
	dir := t.TempDir()
	file := population(t, dir, "3")
	db, archive := filepath.Join(dir, "a.db"), filepath.Join(dir, "arch.db")
	srv := serveHere(t, file, "--db", db, "--scale", "172800")
	_, err := cli("load", "--to", srv.base, "--scenario", file, "--rate", "1000", "--orders", "3",
		"--token", devToken(t, db, auth.Admin, ""))
	require.NoError(t, err)
	require.NoError(t, srv.stop()) // as SIGINT: a snapshot on the clean stop

	journal, err := cli("journal", db)
	require.NoError(t, err)
	inputs, err := cli("journal", db, "--inputs")
	require.NoError(t, err)
	before, err := ordersOf(t, file, copyFile(t, db))
	require.NoError(t, err)
	require.Len(t, before, 3)

	out, err := cli("compact", db, "--archive", archive)
	require.NoError(t, err)
	assert.Contains(t, out, "from now on the store starts only from its latest snapshot")
	c, ok, err := sqlite.CompactedOf(context.Background(), db)
	require.NoError(t, err)
	require.True(t, ok)

	edited := population(t, t.TempDir(), "4")
	_, err = ordersOf(t, edited, db)
	require.Error(t, err)
	for _, want := range []string{
		"serve: resume " + db + ": the latest snapshot (after ",
		"cannot be used: restore: ", `the snapshot is of network "national-`, // why
		"without it a restart replays from T+0, which needs the records before it, but records 1 to ",
		"were compacted into the archive " + archive,
		"serve it with the scenario and the build that wrote the snapshot, or put the archive back first (ordertwin uncompact " + db + " --archive " + archive + ")",
	} {
		assert.ErrorContains(t, err, want)
	}
	assert.NotContains(t, err.Error(), "sqlite store: records", "the compaction is not what is blamed first")
	assert.ErrorIs(t, err, sqlite.ErrCompacted)

	_, err = cli("uncompact", db)
	assert.ErrorContains(t, err, "want --archive FILE")
	_, err = cli("uncompact", db, "--archive", filepath.Join(dir, "none.db"))
	assert.ErrorContains(t, err, "none.db")
	_, err = cli("uncompact", db, "--archive", file)
	assert.ErrorContains(t, err, "not a store (not a SQLite database)")
	out, err = cli("uncompact", db, "--archive", archive)
	require.NoError(t, err)
	assert.Contains(t, out, "back from "+archive+" into "+db+", which verifies from link 1")
	got, err := cli("journal", db)
	require.NoError(t, err)
	assert.Equal(t, journal, got, "the whole journal is back")
	got, err = cli("journal", db, "--inputs")
	require.NoError(t, err)
	assert.Equal(t, inputs, got, "and the whole input log")
	_, err = cli("audit", "verify", db)
	require.NoError(t, err)

	after, err := ordersOf(t, edited, db)
	require.NoError(t, err, "the edited scenario replays from T+0")
	assert.Equal(t, before, after, "the same orders, in the same states")
	got, err = cli("journal", db)
	require.NoError(t, err)
	assert.Equal(t, journal, got, "the replay checked every record, and added none")
	_, err = cli("uncompact", db, "--archive", archive)
	assert.ErrorContains(t, err, "nothing of it was compacted")
	assert.Positive(t, c.Records)
}

// compact refuses a store whose latest snapshot this build cannot restore
// (here, not a snapshot at all): moved out, the records before it would
// leave the store no start. It moves nothing, and says what to do.
func TestCompactRefusesAnUnrestorableSnapshot(t *testing.T) {
	dir := t.TempDir()
	db, archive := filepath.Join(dir, "serve.db"), filepath.Join(dir, "serve.archive.db")
	srv := serveHere(t, example, "--db", db, "--scale", "10000000")
	untilCompleted(t, srv.base, db)
	require.NoError(t, srv.stop())
	sqldb, err := sql.Open("sqlite", db)
	require.NoError(t, err)
	for _, q := range []string{
		`UPDATE snapshot SET body = zeroblob(length(body)) WHERE inputs = (SELECT max(inputs) FROM snapshot) AND length(body) > 0`,
		`UPDATE snapshot_chunk SET body = zeroblob(length(body)) WHERE inputs = (SELECT max(inputs) FROM snapshot)`,
	} {
		_, err = sqldb.Exec(q)
		require.NoError(t, err)
	}
	require.NoError(t, sqldb.Close())
	_, err = cli("compact", db, "--archive", archive)
	assert.ErrorContains(t, err, "cannot be restored by this build: the engine's state does not decode")
	assert.ErrorContains(t, err, "serve the store once (a clean stop takes a new snapshot) and compact again")
	assert.NoFileExists(t, archive)
	_, ok, err := sqlite.CompactedOf(context.Background(), db)
	require.NoError(t, err)
	assert.False(t, ok, "nothing moved")
}

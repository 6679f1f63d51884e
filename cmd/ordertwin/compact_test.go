package main

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// copyFile copies a store (checkpointed: closed by its server) to a new
// file.
func copyFile(t *testing.T, from string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "copy.db")
	body, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, body, 0o600))
	return file
}

// restartedState is the state a restart on a copy of db reaches, as serve
// restarts (its latest snapshot, then the inputs after it, each record
// checked against the journal), run on to 400 days: the engine's
// snapshot, byte for byte.
func restartedState(t *testing.T, sc *scenarios.Scenario, db string) []byte {
	t.Helper()
	st, err := sqlite.Open(copyFile(t, db), sqlite.Options{})
	require.NoError(t, err)
	defer st.Close()
	keys, err := stageKeys(st, false)
	require.NoError(t, err)
	sys, err := replay(context.Background(), sc, st, scenarios.Options{Clock: engine.Virtual{}, StageKeys: keys}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.NoError(t, sys.Engine.RunUntil(context.Background(), 400*24*time.Hour))
	s, err := sys.Engine.Snapshot()
	require.NoError(t, err)
	return s.Body
}

// untilCompleted reads the server's metrics until its product orders are
// all completed.
func untilCompleted(t *testing.T, base, db string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+devToken(t, db, auth.Operations, ""))
	for deadline := time.Now().Add(time.Minute); ; {
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err)
		done, open := 0, 0
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "ordertwin_product_orders{"); ok {
				_, v, _ := strings.Cut(rest, "} ")
				n, _ := strconv.Atoi(v)
				if strings.Contains(rest, `state="completed"`) {
					done += n
				} else {
					open += n
				}
			}
		}
		if done > 0 && open == 0 {
			return
		}
		require.True(t, time.Now().Before(deadline), "the orders did not complete:\n%s", b)
	}
}

// The worked example, served to its end and stopped, is compacted behind
// its snapshot: refused while served; afterwards a restart reaches the
// same state, byte for byte, and serve starts on it; audit verify holds on
// the store alone (from the first link kept) and with the archive as one
// chain, and finds a change in the archive; journal shows what is left
// and where the rest went.
func TestCompactServedStore(t *testing.T) {
	sc, err := scenarios.Load(example)
	require.NoError(t, err)
	dir := t.TempDir()
	db, archive := filepath.Join(dir, "serve.db"), filepath.Join(dir, "serve.archive.db")
	srv := serveHere(t, example, "--db", db, "--scale", "10000000", "--snapshot-every", "20")
	untilCompleted(t, srv.base, db)
	_, err = cli("compact", db, "--archive", archive)
	assert.ErrorIs(t, err, sqlite.ErrHeld, "a store being served is not compacted")
	assert.ErrorContains(t, err, "stop it first")
	require.NoError(t, srv.stop())

	before := restartedState(t, sc, db)
	outcome := outcomeOf(t, sc, db)
	all, err := cli("journal", db)
	require.NoError(t, err)
	records := strings.Count(all, "\n")

	// The hub notifier as if it had read half the journal only: the
	// compaction stops there.
	half := int64(records / 2)
	o, err := sqlite.OpenOutbox(db)
	require.NoError(t, err)
	require.NoError(t, o.SetCursor(context.Background(), "", half))
	require.NoError(t, o.Close())
	whole := copyFile(t, db) // the store before its compaction, all its links
	// An empty file where the archive goes (a compaction killed as it
	// began) is a new archive: it was "empty: not a store", every try.
	require.NoError(t, os.WriteFile(archive, nil, 0o644))
	out, err := cli("compact", db, "--archive", archive)
	require.NoError(t, err)
	assert.Regexp(t, `^moved links 1 to \d+ \(records 1 to \d+, (no inputs|inputs 1 to \d+)\) of .*serve.db into .*serve.archive.db \(\d+ links copied now\)\n`+
		`not further: the hub notifier has read the records up to `+strconv.FormatInt(half, 10)+` only: a restart reads on from there\n`+
		`from now on the store starts only from its latest snapshot \(after \d+ inputs, at P[0-9DTHMS.]+\): should that not restore \(the scenario edited, another build\), `+
		`serve it with the scenario and build that wrote it, or put the archive back first \(ordertwin uncompact .*serve.db --archive .*serve.archive.db\) to replay from T\+0\n$`, out)
	c, ok, err := sqlite.CompactedOf(context.Background(), db)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Positive(t, c.Records)
	assert.LessOrEqual(t, c.Records, half)

	assert.Equal(t, before, restartedState(t, sc, db), "restarted from the compacted store: the same state")
	assert.Equal(t, outcome, outcomeOf(t, sc, db))

	out, err = cli("audit", "verify", db)
	require.NoError(t, err)
	assert.Contains(t, out, "verified from link "+strconv.FormatInt(c.Link+1, 10)+": the hash of link "+strconv.FormatInt(c.Link, 10)+", "+c.Head.String()+", taken as given")
	out, err = cli("audit", "verify", db, "--archive", archive)
	require.NoError(t, err)
	assert.Contains(t, out, "with the archive "+archive+" as one chain: links 1 to "+strconv.FormatInt(c.Link, 10)+" in the archive")
	assert.Contains(t, out, " 3 signed approvals", "every decision checked, across the two files")
	// A store that still holds the archive's links: each decision was
	// counted twice, and the links said to be in the archive only.
	out, err = cli("audit", "verify", whole, "--archive", archive)
	require.NoError(t, err)
	assert.Contains(t, out, " 3 signed approvals", "each decision counted once")
	assert.Contains(t, out, "with the archive "+archive+": links 1 to "+strconv.FormatInt(c.Link, 10)+" are in both, alike (the store was never compacted)")

	out, err = cli("journal", db)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Equal(t, "# records 1 to "+strconv.FormatInt(c.Records, 10)+" and inputs 1 to "+strconv.FormatInt(c.Inputs, 10)+
		" (links 1 to "+strconv.FormatInt(c.Link, 10)+") were compacted into "+archive+": ordertwin journal "+archive+" reads them", lines[0])
	assert.Equal(t, records-int(c.Records), len(lines)-1, "what is left")
	if len(lines) > 1 {
		assert.True(t, strings.HasPrefix(strings.TrimSpace(lines[1]), strconv.FormatInt(c.Records+1, 10)+" "), lines[1])
	}
	archived, err := cli("journal", archive)
	require.NoError(t, err)
	assert.Equal(t, int(c.Records), strings.Count(archived, "\n"), "the archive reads as a journal")

	// serve starts on the compacted store, and a second compaction
	// appends what it can.
	srv = serveHere(t, example, "--db", db, "--scale", "10000000")
	require.NoError(t, srv.stop())
	o, err = sqlite.OpenOutbox(db) // the notifier caught up
	require.NoError(t, err)
	require.NoError(t, o.SetCursor(context.Background(), "", int64(records)))
	require.NoError(t, o.Close())
	out, err = cli("compact", db, "--archive", archive)
	require.NoError(t, err)
	assert.Contains(t, out, "moved links "+strconv.FormatInt(c.Link+1, 10)+" to ")
	out, err = cli("audit", "verify", db, "--archive", archive)
	require.NoError(t, err)
	assert.Contains(t, out, " 3 signed approvals")
	assert.Equal(t, before, restartedState(t, sc, db), "restarted after the second compaction: the same state")

	// A change in the archive is found, named there.
	sqldb, err := sql.Open("sqlite", archive)
	require.NoError(t, err)
	var first int64
	var data []byte
	require.NoError(t, sqldb.QueryRow(`SELECT first_seq, data FROM journal_batch ORDER BY first_seq LIMIT 1 OFFSET 1`).Scan(&first, &data))
	recs, err := store.DecodeRecords(nil, data)
	require.NoError(t, err)
	recs[0].To = "cancelled"
	_, err = sqldb.Exec(`UPDATE journal_batch SET data = ? WHERE first_seq = ?`, store.EncodeRecords(nil, recs), first)
	require.NoError(t, err)
	require.NoError(t, sqldb.Close())
	_, err = cli("audit", "verify", db, "--archive", archive)
	assert.Equal(t, 1, status(err))
	assert.ErrorContains(t, err, "archive "+archive+": record "+strconv.FormatInt(first, 10))
	_, err = cli("audit", "verify", db)
	assert.NoError(t, err, "the store alone still holds")
}

// A store without a snapshot (a run's) is not compacted, and says why;
// the command's bad input is named.
func TestCompactNothingToMove(t *testing.T) {
	db := filepath.Join(t.TempDir(), "run.db")
	_, err := cli("run", example, "--db", db)
	require.NoError(t, err)
	out, err := cli("compact", db, "--archive", db+".archive")
	require.NoError(t, err)
	assert.Equal(t, "nothing moved from "+db+": the store has no snapshot and no input log: a run's (run --db), kept whole as its record\n", out)
	assert.NoFileExists(t, db+".archive")
	_, err = cli("compact", db)
	assert.ErrorContains(t, err, "want --archive FILE")
	_, err = cli("compact", filepath.Join(t.TempDir(), "none.db"), "--archive", "a.db")
	assert.ErrorContains(t, err, "none.db")
}

package sqlite_test

import (
	"bufio"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func batch(from, n int) []store.Record {
	out := make([]store.Record, n)
	for i := range out {
		k := from + i
		out[i] = store.Record{At: time.Duration(k) * time.Minute, Kind: "resourceOrderItem", Entity: fmt.Sprintf("ROI-%03d", k%7),
			Name: "name " + strconv.Itoa(k), System: "ROM → access", From: "inProgress", To: "completed", Event: "complete",
			Reason: "reason ünïcode " + strconv.Itoa(k)}
	}
	return out
}

// What is appended comes back, in order, and is still there after the
// file is closed and opened again; the schema is not applied twice.
func TestAppendAndReopen(t *testing.T) {
	file := filepath.Join(t.TempDir(), "journal.db")
	s, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	require.NoError(t, s.Append(batch(0, 5)))
	require.NoError(t, s.Append(nil))
	require.NoError(t, s.Append(batch(5, 9)))
	assert.Equal(t, 14, s.Len())
	want := append(batch(0, 5), batch(5, 9)...)
	got, err := s.Records()
	require.NoError(t, err)
	assert.Equal(t, want, got)
	require.NoError(t, s.Close())
	assert.ErrorContains(t, s.Append(batch(0, 1)), "closed")

	s, err = sqlite.Open(file, sqlite.Options{Sync: sqlite.SyncFull})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, 14, s.Len())
	got, err = s.Records()
	require.NoError(t, err)
	assert.Equal(t, want, got)
	h, err := s.History("ROI-003")
	require.NoError(t, err)
	require.Len(t, h, 2)
	assert.Equal(t, "name 3", h[0].Name)
	assert.Equal(t, "name 10", h[1].Name)
}

// A file written by a newer ordertwin (a schema version this build does not
// know) is refused, and left as it is.
func TestNewerSchemaRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "journal.db")
	s, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	db, err := sql.Open("sqlite", file)
	require.NoError(t, err)
	_, err = db.Exec(fmt.Sprintf("PRAGMA user_version = %d", sqlite.Version()+1))
	require.NoError(t, err)
	require.NoError(t, db.Close())
	_, err = sqlite.Open(file, sqlite.Options{})
	assert.ErrorContains(t, err, fmt.Sprintf("schema version %d is newer than this ordertwin knows (%d)", sqlite.Version()+1, sqlite.Version()))
}

func TestBadOptions(t *testing.T) {
	_, err := sqlite.Open(filepath.Join(t.TempDir(), "j.db"), sqlite.Options{Sync: "sometimes"})
	assert.ErrorContains(t, err, `sync "sometimes"`)
	_, err = sqlite.Open(filepath.Join(t.TempDir(), "no", "such", "dir", "j.db"), sqlite.Options{})
	assert.Error(t, err)
}

// crashChild, when set, makes the test binary a writer that appends
// batches of crashBatch records and prints how many are committed after
// each, until it is killed.
const (
	crashChild = "ORDERTWIN_SQLITE_CRASH_CHILD"
	crashBatch = 50
)

func TestMain(m *testing.M) {
	if file := os.Getenv(crashChild); file != "" {
		s, err := sqlite.Open(file, sqlite.Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		for n := s.Len(); ; n += crashBatch {
			if err := s.Append(batch(n, crashBatch)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			fmt.Println(n + crashBatch)
		}
	}
	os.Exit(m.Run())
}

// A writer killed (SIGKILL) at any point loses no commit it reported and
// leaves no part of a batch: the journal holds whole batches, in order.
// Killed and restarted on the same file several times.
func TestKilledWriterLosesNoCommit(t *testing.T) {
	file := filepath.Join(t.TempDir(), "journal.db")
	reported := 0
	for round := range 5 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChild+"="+file)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		lines := bufio.NewScanner(out)
		// Kill it after a number of commits that differs from round to
		// round, while it is writing the next.
		for seen := 0; seen < 3+7*round && lines.Scan(); seen++ {
			n, err := strconv.Atoi(lines.Text())
			require.NoError(t, err)
			reported = n
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()

		s, err := sqlite.Open(file, sqlite.Options{})
		require.NoError(t, err)
		n := s.Len()
		assert.GreaterOrEqual(t, n, reported, "round %d: a reported commit is lost", round)
		assert.Zero(t, n%crashBatch, "round %d: a torn batch (%d records)", round, n)
		got, err := s.Records()
		require.NoError(t, err)
		assert.Equal(t, batch(0, n), got, "round %d", round)
		require.NoError(t, s.Close())
	}
}

// BenchmarkAppend measures durable records per second by batch size (a
// batch is one commit: the engine commits a step's records at once).
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("batch%d", size), func(b *testing.B) {
			s, err := sqlite.Open(filepath.Join(b.TempDir(), "j.db"), sqlite.Options{})
			require.NoError(b, err)
			defer s.Close()
			recs := batch(0, size)
			n := 0
			for b.Loop() {
				if err := s.Append(recs); err != nil {
					b.Fatal(err)
				}
				n += size
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

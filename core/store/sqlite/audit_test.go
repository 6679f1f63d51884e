package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func inputs(from, n int) []store.Input {
	out := make([]store.Input, n)
	for i := range out {
		out[i] = store.Input{Before: uint64(from + i), At: 0, To: 1, Kind: "com.Cancel", Body: fmt.Appendf(nil, "cancel PO-%03d", from+i),
			Origin: store.Origin{Actor: "ops-1", Roles: []string{"operations"}, Request: fmt.Sprint("req-", from+i), Source: "192.0.2.7:4711",
				Taken: time.Date(2024, 6, 3, 0, 0, from+i, 0, time.UTC)}}
	}
	return out
}

// chained writes a store of four commits: records 1–4 with inputs 1–2,
// records 5–8 with input 3, inputs 4–5 alone, records 9–12. It returns
// the file and the head hash the store reported.
func chained(t *testing.T) (string, store.Hash) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "journal.db")
	s, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	require.NoError(t, s.Commit(batch(1, 4), inputs(1, 2)))
	require.NoError(t, s.Commit(batch(5, 4), inputs(3, 1)))
	require.NoError(t, s.LogInputs(inputs(4, 2)))
	require.NoError(t, s.Append(batch(9, 4)))
	head, commits := s.Head()
	assert.Equal(t, int64(4), commits)
	require.NoError(t, s.Close())
	return file, head
}

func tamper(t *testing.T, file string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", file)
	require.NoError(t, err)
	defer db.Close()
	for _, q := range stmts {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
}

// fault verifies file and returns the fault it must find.
func fault(t *testing.T, file string) *sqlite.Fault {
	t.Helper()
	a, err := sqlite.Verify(context.Background(), file, nil)
	require.Error(t, err)
	assert.Nil(t, a)
	var f *sqlite.Fault
	require.True(t, errors.As(err, &f), "%v", err)
	return f
}

// An untouched store verifies, with the head the store computed and the
// counts of what it holds; reopening and committing more extends the
// same chain.
func TestVerifyIntact(t *testing.T) {
	file, head := chained(t)
	a, err := sqlite.Verify(context.Background(), file, nil)
	require.NoError(t, err)
	assert.Equal(t, &sqlite.Audit{Commits: 4, Records: 12, Inputs: 5, Head: head, From: 1}, a)

	s, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	require.NoError(t, s.Commit(batch(13, 2), inputs(6, 1)))
	head, _ = s.Head()
	require.NoError(t, s.Close())
	a, err = sqlite.Verify(context.Background(), file, nil)
	require.NoError(t, err)
	assert.Equal(t, &sqlite.Audit{Commits: 5, Records: 14, Inputs: 6, Head: head, From: 1}, a)
}

// A record changed inside its commit's row is named by its seq and
// entity.
func TestVerifyChangedRecord(t *testing.T) {
	file, _ := chained(t)
	db, err := sql.Open("sqlite", file)
	require.NoError(t, err)
	var data []byte
	require.NoError(t, db.QueryRow(`SELECT data FROM journal_batch WHERE first_seq = 5`).Scan(&data))
	recs, err := store.DecodeRecords(nil, data)
	require.NoError(t, err)
	recs[2].To = "failed" // record 7
	_, err = db.Exec(`UPDATE journal_batch SET data = ? WHERE first_seq = 5`, store.EncodeRecords(nil, recs))
	require.NoError(t, err)
	require.NoError(t, db.Close())

	f := fault(t, file)
	assert.Equal(t, "record", f.What)
	assert.Equal(t, int64(7), f.Seq)
	assert.Equal(t, "ROI-000", f.Entity)
	assert.Equal(t, int64(2), f.Commit)
	assert.Equal(t, "record 7 (ROI-000) of commit 2: changed: resourceOrderItem inProgress → failed [complete] is not the record chained", f.Error())
}

func TestVerifyTampered(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stmts []string
		want  string
	}{
		{"input body changed", []string{`UPDATE inputs SET body = x'00' WHERE seq = 4`},
			"input 4 (com.Cancel) of commit 3: changed: not the input chained"},
		{"input's actor changed", []string{`UPDATE inputs SET origin = '{"actor":"mallory"}' WHERE seq = 4`},
			"input 4 (com.Cancel) of commit 3: changed: not the input chained"},
		{"input's origin removed", []string{`UPDATE inputs SET origin = NULL WHERE seq = 2`},
			"input 2 (com.Cancel) of commit 1: changed: not the input chained"},
		{"batch row deleted", []string{`DELETE FROM journal_batch WHERE first_seq = 5`},
			"record 5 of commit 2: removed: the journal goes on at record 9"},
		{"last batch row deleted", []string{`DELETE FROM journal_batch WHERE first_seq = 9`},
			"record 9 of commit 4: removed: the journal ends before it"},
		{"input deleted", []string{`DELETE FROM inputs WHERE seq = 2`},
			"input 2 of commit 1: removed: the input log goes on at input 3"},
		{"inputs swapped", []string{`UPDATE inputs SET seq = -1 WHERE seq = 1`, `UPDATE inputs SET seq = 1 WHERE seq = 4`, `UPDATE inputs SET seq = 4 WHERE seq = -1`},
			"input 1 (com.Cancel) of commit 1: reordered: holds the input chained as input 4"},
		{"batches swapped", []string{`UPDATE journal_batch SET first_seq = -1, last_seq = -1 WHERE first_seq = 1`,
			`UPDATE journal_batch SET first_seq = 1, last_seq = 4 WHERE first_seq = 9`, `UPDATE journal_batch SET first_seq = 9, last_seq = 12 WHERE first_seq = -1`},
			"record 1 (ROI-002) of commit 1: reordered: holds the record chained as record 9"},
		{"batch rows disagree", []string{`UPDATE journal_batch SET last_seq = 12 WHERE first_seq = 5`, `DELETE FROM journal_batch WHERE first_seq = 9`},
			"record 5 of commit 2: changed: the batch of records 5 to 12 holds 4 records"},
		{"link deleted", []string{`DELETE FROM journal_chain WHERE commit_seq = 2`},
			"link 2: missing: the chain goes from link 1 to 3"},
		{"link hash changed", []string{`UPDATE journal_chain SET hash = zeroblob(32) WHERE commit_seq = 3`},
			"link 3: changed: records 9 to 8 and inputs 4 to 5 hash to"},
		{"record never chained", []string{`INSERT INTO journal_batch (first_seq, last_seq, data) SELECT 13, 16, data FROM journal_batch WHERE first_seq = 9`},
			"record 13 (ROI-002): not chained: the chain ends at record 12"},
		{"input never chained", []string{`INSERT INTO inputs (seq, before, at, address, kind, body) VALUES (6, 0, 0, 1, 'com.Cancel', x'00')`},
			"input 6 (com.Cancel): not chained: the chain ends at input 5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file, _ := chained(t)
			tamper(t, file, tc.stmts...)
			assert.Contains(t, fault(t, file).Error(), tc.want)
		})
	}
}

// Verify hands every chained record to the check, and a record the
// check refuses is a fault naming it.
func TestVerifyCheck(t *testing.T) {
	file, _ := chained(t)
	var seen []int64
	_, err := sqlite.Verify(context.Background(), file, func(seq int64, r store.Record) error {
		seen = append(seen, seq)
		if seq == 10 {
			return errors.New("bad signature")
		}
		return nil
	})
	assert.EqualError(t, err, "record 10 (ROI-003) of commit 4: bad signature")
	assert.Equal(t, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, seen)
}

// A store written before the chain existed has what it holds sealed in
// link 1 when opened, and verifies from there.
func TestSealUnchained(t *testing.T) {
	file, _ := chained(t)
	tamper(t, file, `DELETE FROM journal_chain`)
	s, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	require.NoError(t, s.Append(batch(13, 1)))
	head, commits := s.Head()
	assert.Equal(t, int64(2), commits)
	require.NoError(t, s.Close())
	a, err := sqlite.Verify(context.Background(), file, nil)
	require.NoError(t, err)
	assert.Equal(t, &sqlite.Audit{Commits: 2, Records: 13, Inputs: 5, Head: head, From: 1}, a)
}

// A file of another schema is not verified.
func TestVerifyOtherSchema(t *testing.T) {
	file, _ := chained(t)
	tamper(t, file, `PRAGMA user_version = 5`)
	_, err := sqlite.Verify(context.Background(), file, nil)
	assert.ErrorContains(t, err, fmt.Sprintf("schema version 5, want %d", sqlite.Version()))
}

// Each input keeps who gave it, as it was given.
func TestInputsKeepTheirOrigin(t *testing.T) {
	file, _ := chained(t)
	s, err := sqlite.Open(file, sqlite.Options{})
	require.NoError(t, err)
	defer s.Close()
	got, err := s.Inputs()
	require.NoError(t, err)
	want := inputs(1, 5)
	require.Len(t, got, len(want))
	for i := range want {
		assert.True(t, want[i].Origin.Taken.Equal(got[i].Origin.Taken))
		got[i].Origin.Taken = want[i].Origin.Taken
	}
	assert.Equal(t, want, got)
}

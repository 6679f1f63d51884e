package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/ordertwin/ordertwin/core/store"
)

// Compaction is what Compact did: the links it moved out of the store
// into the archive (none when To < From), with the records and inputs
// they chain, and why it went no further.
type Compaction struct {
	Store, Archive string
	// The links, records and inputs moved: From … To of each.
	FromLink, ToLink     int64
	FromRecord, ToRecord int64
	FromInput, ToInput   int64
	// Copied counts the links written into the archive now: fewer than
	// those moved when a compaction before copied them and stopped
	// before deleting them from the store.
	Copied int64
	// Limit says why it moved nothing further.
	Limit string
	// Snapshot is the latest snapshot's place (its body left out): once
	// something moved, the store starts only from it, or from T+0 with the
	// archive put back (Uncompact).
	Snapshot store.Snapshot
	// check, when set, is asked whether this build can restore the
	// latest snapshot before anything moves.
	check func(store.Snapshot) error
}

// Moved reports whether anything moved.
func (c *Compaction) Moved() bool { return c.ToLink >= c.FromLink }

// beforeDelete, when set (tests), is called once the archive holds the
// copy, verified and on disk, and before the store's delete: its error
// stops the compaction there, as a crash would.
var beforeDelete func() error

// Compact moves the beginning of the journal of the store in file into
// the archive, a SQLite file of the store's schema: the links of the
// hash chain, with the records (tables journal and journal_batch) and
// inputs (table inputs) they chain, that lie wholly before the store's
// latest snapshot (a restart replays only what follows it) and wholly
// within what every hub listener has been given (its delivery cursor:
// a listener behind reads its events from the store). The store keeps
// the rest, numbered on: sequence numbers never restart.
//
// It never deletes what the archive does not hold: it copies into the
// archive in one transaction, synchronously to the disk, verifies the
// copy against the chain, and only then deletes from the store, in one
// transaction that also records what moved (Store.Compacted). A crash at
// any point leaves each record in the store, in the archive, or in both;
// a compaction run again after it carries on. The archive is created, or
// appended to when it ends where the store's compacted journal does (or
// within what this compaction moves: a copy made before a crash); any
// other file is refused.
//
// It holds the store (Hold) while it works: a store being served is
// refused.
//
// Once the records before the latest snapshot are gone, a restart can
// start only from that snapshot: check, when not nil, is asked first
// whether this build can restore it (engine.CheckSnapshot), and its error
// refuses the compaction, moving nothing.
func Compact(ctx context.Context, file, archive string, check func(store.Snapshot) error) (*Compaction, error) {
	c := &Compaction{Store: file, Archive: archive, check: check}
	if err := c.run(ctx); err != nil {
		return nil, fmt.Errorf("compact %s into %s: %w", file, archive, err)
	}
	return c, nil
}

func (c *Compaction) run(ctx context.Context) error {
	absStore, absArchive, err := apart(c.Store, c.Archive)
	if err != nil {
		return err
	}
	st, done, err := openHeld(c.Store)
	if err != nil {
		return err
	}
	defer done()
	prev := st.compacted
	links, err := c.plan(ctx, st)
	if err != nil || !c.Moved() {
		return err
	}
	_, statErr := os.Stat(c.Archive)
	made := errors.Is(statErr, os.ErrNotExist) // by this compaction
	a, err := openArchive(c.Archive)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	defer a.Close()
	end, err := c.fits(ctx, a, prev, links)
	if err != nil {
		if made {
			// Refused before anything moved: the archive it made goes too.
			a.Close()
			removeArchive(c.Archive)
		}
		return err
	}
	last := links[len(links)-1]
	if end.Commit < last.Commit {
		if err := c.copyInto(ctx, a, end, last, absStore); err != nil {
			return fmt.Errorf("archive: %w", err)
		}
	}
	if beforeDelete != nil {
		if err := beforeDelete(); err != nil {
			return err
		}
	}
	return c.delete(ctx, st, prev, last, absArchive)
}

// link is a link of the chain and its hash.
type link struct {
	store.Link
	hash store.Hash
}

// plan finds the links to move: those that end at or before the latest
// snapshot and every delivery cursor. It sets From…To and Limit, and
// returns the links.
func (c *Compaction) plan(ctx context.Context, st *Store) ([]link, error) {
	prev := st.compacted
	c.FromLink, c.FromRecord, c.FromInput = prev.Link+1, prev.Records+1, prev.Inputs+1
	c.ToLink, c.ToRecord, c.ToInput = prev.Link, prev.Records, prev.Inputs
	snap, ok, err := st.LatestSnapshot()
	if err != nil {
		return nil, err
	}
	if !ok {
		c.Limit = "the store has no snapshot: a restart replays its whole input log, from T+0"
		var logged bool
		if err := st.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM inputs)`).Scan(&logged); err != nil {
			return nil, err
		}
		if !logged && prev.Inputs == 0 {
			c.Limit = "the store has no snapshot and no input log: a run's (run --db), kept whole as its record"
		}
		return nil, nil
	}
	records := int64(snap.Records)
	c.Limit = fmt.Sprintf("the latest snapshot stands after record %d and %d inputs handled: a restart replays what follows it", snap.Records, snap.Inputs)
	recordsLimit := c.Limit
	cursors, err := st.db.QueryContext(ctx, `SELECT listener, seq FROM delivery_cursor ORDER BY listener`)
	if err != nil {
		return nil, err
	}
	scanned := false
	for cursors.Next() {
		var id string
		var seq int64
		if err := cursors.Scan(&id, &seq); err != nil {
			cursors.Close()
			return nil, err
		}
		scanned = scanned || id == ""
		if seq < records {
			records = seq
			recordsLimit = fmt.Sprintf("the hub listener %s has been given the records up to %d only: it reads its events from the store", id, seq)
			if id == "" {
				recordsLimit = fmt.Sprintf("the hub notifier has read the records up to %d only: a restart reads on from there", seq)
			}
		}
	}
	cursors.Close()
	if err := cursors.Err(); err != nil {
		return nil, err
	}
	if !scanned && st.last > 0 {
		records = 0
		recordsLimit = "the hub notifier has kept no cursor in this store: a restart would read the journal from its start"
	}
	// The inputs a restart from the snapshot replays are those whose
	// Before is snap.Inputs or more; those before the first of them may go.
	var inputs int64
	if err := st.db.QueryRowContext(ctx, `SELECT coalesce((SELECT min(seq) FROM inputs WHERE before >= ?), ?)`,
		int64(snap.Inputs), st.chain.lastInput+1).Scan(&inputs); err != nil {
		return nil, err
	}
	inputs--
	rows, err := st.db.QueryContext(ctx, `SELECT commit_seq, first_record, last_record, first_input, last_input, hash FROM journal_chain ORDER BY commit_seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []link
	whole := true
	for rows.Next() {
		var l link
		var h []byte
		if err := rows.Scan(&l.Commit, &l.FirstRecord, &l.LastRecord, &l.FirstInput, &l.LastInput, &h); err != nil {
			return nil, err
		}
		copy(l.hash[:], h)
		if l.LastRecord > records {
			c.Limit, whole = recordsLimit, false
			break
		}
		if l.LastInput > inputs {
			whole = false
			break // the snapshot's limit
		}
		out = append(out, l)
	}
	rows.Close() // the store's one connection serves the next query
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if whole {
		c.Limit = "nothing is left to move: the latest snapshot stands at the journal's end"
	}
	c.Snapshot = store.Snapshot{Inputs: snap.Inputs, Records: snap.Records, At: snap.At}
	if len(out) > 0 && c.check != nil {
		if err := c.check(snap); err != nil {
			return nil, fmt.Errorf("the latest snapshot (after %d inputs and %d records) cannot be restored by this build: %w; "+
				"with the records before it moved out, the store would have no way to start but with the archive put back: "+
				"serve the store once (a clean stop takes a new snapshot) and compact again", snap.Inputs, snap.Records, err)
		}
	}
	if len(out) > 0 {
		last := out[len(out)-1]
		c.ToLink, c.ToRecord, c.ToInput = last.Commit, last.LastRecord, last.LastInput
		if out[0].Commit != c.FromLink {
			return nil, fmt.Errorf("the store's chain starts at link %d, but it was compacted up to link %d", out[0].Commit, prev.Link)
		}
	}
	// A batch of records lies within one commit: one that straddles the
	// end would be split.
	var straddle int64
	err = st.db.QueryRowContext(ctx, `SELECT count(*) FROM journal_batch WHERE first_seq <= ?1 AND last_seq > ?1`, c.ToRecord).Scan(&straddle)
	if err != nil {
		return nil, err
	}
	if straddle > 0 {
		return nil, fmt.Errorf("a batch of records goes on past record %d, the end of link %d", c.ToRecord, c.ToLink)
	}
	return out, nil
}

// openArchive opens (or creates) an archive: in rollback-journal mode,
// each commit synced to the disk before it returns.
// removeArchive removes an archive file this compaction made, and what
// SQLite kept beside it.
func removeArchive(file string) {
	for _, f := range []string{file, file + "-journal", file + "-wal", file + "-shm"} {
		_ = os.Remove(f)
	}
}

func openArchive(file string) (*sql.DB, error) {
	q := url.Values{"_pragma": {"main.journal_mode(DELETE)", "main.synchronous(FULL)", "busy_timeout(5000)"}}
	db, err := sql.Open("sqlite", "file:"+file+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := migrate(db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// fits checks that the archive continues the store's compacted journal
// and returns its last link: the link the store was compacted after, or
// one of the links this compaction moves (a copy made before a crash),
// identical to the store's.
func (c *Compaction) fits(ctx context.Context, a *sql.DB, prev Compacted, links []link) (link, error) {
	var end link
	var h []byte
	err := a.QueryRowContext(ctx, `SELECT commit_seq, first_record, last_record, first_input, last_input, hash FROM journal_chain ORDER BY commit_seq DESC LIMIT 1`).
		Scan(&end.Commit, &end.FirstRecord, &end.LastRecord, &end.FirstInput, &end.LastInput, &h)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return end, fmt.Errorf("archive: %w", err)
	}
	copy(end.hash[:], h)
	var records, inputs int64
	if err := a.QueryRowContext(ctx, `SELECT max(coalesce((SELECT max(seq) FROM journal), 0), coalesce((SELECT max(last_seq) FROM journal_batch), 0)),
		coalesce((SELECT max(seq) FROM inputs), 0)`).Scan(&records, &inputs); err != nil {
		return end, fmt.Errorf("archive: %w", err)
	}
	if records != end.LastRecord || inputs != end.LastInput {
		return end, fmt.Errorf("the archive holds records up to %d and inputs up to %d, but its chain ends at record %d and input %d: not an archive of this store",
			records, inputs, end.LastRecord, end.LastInput)
	}
	last := links[len(links)-1]
	switch {
	case end.Commit == prev.Link && end.hash == prev.Head:
		return end, nil
	case end.Commit == prev.Link && prev.Link == 0:
		return end, nil
	case end.Commit == prev.Link:
		return end, fmt.Errorf("the archive's link %d has hash %s, the store's was %s: not an archive of this store", end.Commit, end.hash, prev.Head)
	case end.Commit < prev.Link && end.Commit == 0:
		return end, fmt.Errorf("the archive is empty, but links 1 to %d of this store were compacted into %s: give that archive", prev.Link, prev.Archive)
	case end.Commit < prev.Link:
		return end, fmt.Errorf("the archive ends at link %d, but links 1 to %d of this store were compacted into %s: give that archive", end.Commit, prev.Link, prev.Archive)
	case end.Commit > last.Commit:
		return end, fmt.Errorf("the archive goes on to link %d, past link %d, the last this compaction may move: not an archive of this store as it stands", end.Commit, last.Commit)
	}
	for _, l := range links {
		if l.Commit == end.Commit && l.hash == end.hash {
			return end, nil // copied before a crash: the copy is the store's
		}
	}
	return end, fmt.Errorf("the archive's link %d has hash %s, not the store's: not an archive of this store", end.Commit, end.hash)
}

// copyInto copies the links after end up to last, with their records and
// inputs, from the store into the archive in one transaction, and
// verifies the copy: it hashes to the chain, and ends at the store's
// link last.
func (c *Compaction) copyInto(ctx context.Context, a *sql.DB, end, last link, storeFile string) error {
	conn, err := a.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	fresh := end.Commit == 0
	if _, err := conn.ExecContext(ctx, `ATTACH DATABASE ? AS src`, storeFile); err != nil {
		return fmt.Errorf("read the store: %w", err)
	}
	defer conn.ExecContext(context.Background(), `DETACH DATABASE src`)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{
		`INSERT INTO main.journal (seq, at, kind, entity, name, system, from_state, to_state, event, reason)
			SELECT seq, at, kind, entity, name, system, from_state, to_state, event, reason FROM src.journal WHERE seq > ?1 AND seq <= ?2`,
		`INSERT INTO main.journal_batch (first_seq, last_seq, data)
			SELECT first_seq, last_seq, data FROM src.journal_batch WHERE first_seq > ?1 AND last_seq <= ?2`,
		`INSERT INTO main.inputs (` + inputColumns + `) SELECT ` + inputColumns + ` FROM src.inputs WHERE seq > ?3 AND seq <= ?4`,
		`INSERT INTO main.journal_chain (commit_seq, first_record, last_record, first_input, last_input, hash, record_sums, input_sums)
			SELECT commit_seq, first_record, last_record, first_input, last_input, hash, record_sums, input_sums FROM src.journal_chain
			WHERE commit_seq > ?5 AND commit_seq <= ?6`,
	} {
		if _, err := tx.ExecContext(ctx, q, end.LastRecord, last.LastRecord, end.LastInput, last.LastInput, end.Commit, last.Commit); err != nil {
			return fmt.Errorf("copy links %d to %d: %w", end.Commit+1, last.Commit, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("copy links %d to %d: %w", end.Commit+1, last.Commit, err)
	}
	if fresh {
		if err := syncDir(filepath.Dir(c.Archive)); err != nil {
			return err
		}
	}
	c.Copied = last.Commit - end.Commit
	// The copy, read back: every record and input in its place, hashing
	// to its link, up to the store's last link moved.
	vtx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer vtx.Rollback()
	v := &verifier{ctx: ctx, tx: vtx, recordsAfter: end.LastRecord, inputsAfter: end.LastInput}
	got, err := v.run(end.Link, end.hash)
	if err != nil {
		return fmt.Errorf("the copy does not verify: %w", err)
	}
	if got.Commits != last.Commit || got.Head != last.hash {
		return fmt.Errorf("the copy ends at link %d of hash %s, the store's link %d has hash %s", got.Commits, got.Head, last.Commit, last.hash)
	}
	return nil
}

// syncDir syncs a directory, so that a file created in it is found
// after a power loss.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// delete deletes the links up to last, with their records and inputs,
// from the store, in one transaction that records what was compacted.
func (c *Compaction) delete(ctx context.Context, st *Store, prev Compacted, last link, archive string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	next := Compacted{Link: last.Commit, Head: last.hash, Records: last.LastRecord, Inputs: last.LastInput, InputBefore: prev.InputBefore, Archive: archive}
	var before sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(before) FROM inputs WHERE seq <= ?`, last.LastInput).Scan(&before); err != nil {
		return err
	}
	next.InputBefore = max(next.InputBefore, before.Int64)
	for _, q := range []string{
		`DELETE FROM journal WHERE seq <= ?1`,
		`DELETE FROM journal_batch WHERE last_seq <= ?1`,
		`DELETE FROM inputs WHERE seq <= ?2`,
		`DELETE FROM journal_chain WHERE commit_seq <= ?3`,
	} {
		if _, err := tx.ExecContext(ctx, q, last.LastRecord, last.LastInput, last.Commit); err != nil {
			return fmt.Errorf("delete links %d to %d: %w", c.FromLink, last.Commit, err)
		}
	}
	v, err := next.encode()
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('compacted', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, v); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete links %d to %d: %w", c.FromLink, last.Commit, err)
	}
	st.compacted = next
	return nil
}

// apart checks that a store and its archive are two files, and that the
// store exists; it returns their absolute paths.
func apart(file, archive string) (absStore, absArchive string, err error) {
	if absStore, err = filepath.Abs(file); err != nil {
		return "", "", err
	}
	if absArchive, err = filepath.Abs(archive); err != nil {
		return "", "", err
	}
	if absStore == absArchive {
		return "", "", errors.New("the archive must be another file than the store")
	}
	st, err := os.Stat(file)
	if err != nil {
		return "", "", err
	}
	// Another name of the same file (a link to it) is the store too.
	if at, aerr := os.Stat(archive); aerr == nil && os.SameFile(st, at) {
		return "", "", errors.New("the archive must be another file than the store: " + archive + " is the store under another name")
	}
	return absStore, absArchive, nil
}

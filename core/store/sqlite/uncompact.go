package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ordertwin/ordertwin/core/store"
)

// Uncompaction is what Uncompact did: the links 1 … Link of the hash
// chain, with the records 1 … Records and inputs 1 … Inputs they chain,
// put back into the store from the archive; then the store's whole chain,
// verified from link 1, ends at link Commits of hash Head.
type Uncompaction struct {
	Store, Archive        string
	Link, Records, Inputs int64
	Commits               int64
	Head                  store.Hash
}

// Uncompact undoes the compactions of the store in file: it copies the
// links, records and inputs they moved back from the archive, so that the
// store holds its whole journal again and a restart can replay it from
// T+0 (needed when its latest snapshot cannot be restored: a scenario
// edited, another build). The archive is read only and left as it was;
// compacting into it again later finds it ending at one of the store's
// links and goes on from there.
//
// It puts back, in one transaction of the store, exactly what the store
// says was compacted (Compacted), verifies the store's whole chain from
// link 1 in that transaction, and only then forgets the compaction: an
// archive that is not the store's, or holds records or inputs changed
// since, changes nothing. It holds the store (Hold) while it works: a
// store being served is refused.
func Uncompact(ctx context.Context, file, archive string) (*Uncompaction, error) {
	u := &Uncompaction{Store: file, Archive: archive}
	if err := u.run(ctx); err != nil {
		return nil, fmt.Errorf("uncompact %s from %s: %w", file, archive, err)
	}
	return u, nil
}

func (u *Uncompaction) run(ctx context.Context) error {
	_, absArchive, err := apart(u.Store, u.Archive)
	if err != nil {
		return err
	}
	if _, err := os.Stat(u.Archive); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	st, done, err := openHeld(u.Store)
	if err != nil {
		return err
	}
	defer done()
	c := st.compacted
	if c.Link == 0 {
		return errors.New("nothing of it was compacted: it holds its whole journal")
	}
	if err := u.fits(ctx, c, absArchive); err != nil {
		return err
	}
	return u.putBack(ctx, st, c, absArchive)
}

// fits checks that the archive is of this ordertwin's schema (bringing
// one of an earlier schema up to date, as Compact does) and holds the
// store's compacted links: its link c.Link has the hash the store kept.
func (u *Uncompaction) fits(ctx context.Context, c Compacted, archive string) error {
	db, err := openReadOnly(archive)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	var have int
	err = db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&have)
	db.Close()
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	switch want := Version(); {
	case have == 0:
		return errors.New("the archive is not a store of ordertwin's (no schema): give the archive ordertwin compact wrote")
	case have > want:
		return fmt.Errorf("the archive is of schema version %d, this ordertwin's is %d: uncompact with the build that wrote it", have, want)
	case have < want:
		a, err := openArchive(archive)
		if err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		a.Close()
	}
	db, err = openReadOnly(archive)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	defer db.Close()
	var end int64
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(commit_seq), 0) FROM journal_chain`).Scan(&end); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	if end < c.Link {
		return fmt.Errorf("the archive ends at link %d, but links 1 to %d of this store were compacted into %s: give that archive", end, c.Link, c.Archive)
	}
	h, err := linkHash(ctx, archive, c.Link)
	if err != nil {
		return err
	}
	if h != c.Head {
		return fmt.Errorf("the archive's link %d has hash %s, the store's was %s: not an archive of this store", c.Link, h, c.Head)
	}
	return nil
}

// putBack copies the compacted links, records and inputs from the archive
// into the store, verifies the store's chain from link 1, and forgets the
// compaction, in one transaction.
func (u *Uncompaction) putBack(ctx context.Context, st *Store, c Compacted, archive string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	conn, err := st.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `ATTACH DATABASE ? AS src`, archive); err != nil {
		return fmt.Errorf("read the archive: %w", err)
	}
	defer conn.ExecContext(context.Background(), `DETACH DATABASE src`)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{
		`INSERT INTO main.journal (seq, at, kind, entity, name, system, from_state, to_state, event, reason)
			SELECT seq, at, kind, entity, name, system, from_state, to_state, event, reason FROM src.journal WHERE seq <= ?1`,
		`INSERT INTO main.journal_batch (first_seq, last_seq, data)
			SELECT first_seq, last_seq, data FROM src.journal_batch WHERE last_seq <= ?1`,
		`INSERT INTO main.inputs (` + inputColumns + `) SELECT ` + inputColumns + ` FROM src.inputs WHERE seq <= ?2`,
		`INSERT INTO main.journal_chain (commit_seq, first_record, last_record, first_input, last_input, hash, record_sums, input_sums)
			SELECT commit_seq, first_record, last_record, first_input, last_input, hash, record_sums, input_sums FROM src.journal_chain
			WHERE commit_seq <= ?3`,
	} {
		if _, err := tx.ExecContext(ctx, q, c.Records, c.Inputs, c.Link); err != nil {
			return fmt.Errorf("put back links 1 to %d: %w", c.Link, err)
		}
	}
	// The store as one chain again, read in the transaction: every record
	// and input in its place, hashing to its link, from link 1 on.
	v := &verifier{ctx: ctx, tx: tx}
	a, err := v.run(store.Link{}, store.Hash{})
	if err != nil {
		return fmt.Errorf("with links 1 to %d put back, the store does not verify (nothing changed): %w", c.Link, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key = 'compacted'`); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("put back links 1 to %d: %w", c.Link, err)
	}
	st.compacted = Compacted{}
	u.Link, u.Records, u.Inputs, u.Commits, u.Head = c.Link, c.Records, c.Inputs, a.Commits, a.Head
	return nil
}

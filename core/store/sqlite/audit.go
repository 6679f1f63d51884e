package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
)

// Audit is what Verify found in a store whose chain holds.
type Audit struct {
	Commits int64      // links of the chain, up to its head
	Records int64      // records chained, up to the head's last
	Inputs  int64      // inputs chained, up to the head's last
	Head    store.Hash // the last link's hash
	// From is the first link verified: 1, or, in a store compacted and
	// verified alone, the first link it kept; the hash of the link before
	// it is then taken as given (Given), as the compaction left it, and
	// links 1 … From-1 are in the archive (Archive).
	From    int64
	Given   store.Hash
	Archive string
	// Archived counts the links verified in the archive (VerifyArchived).
	Archived int64
}

// Fault names the first record, input or link of a store that is not as
// its hash chain says: changed, removed, reordered or never chained.
type Fault struct {
	In     string // "archive FILE" when the fault is in the archive, else ""
	Commit int64  // the link it belongs to, 0 if none
	What   string // "record", "input" or "link"
	Seq    int64  // the record's, input's or link's number
	Entity string // the record's entity, or the input's kind
	Reason string
}

func (f *Fault) Error() string {
	s := fmt.Sprintf("%s %d", f.What, f.Seq)
	if f.In != "" {
		s = f.In + ": " + s
	}
	if f.Entity != "" {
		s += " (" + f.Entity + ")"
	}
	if f.Commit > 0 && f.What != "link" {
		s += fmt.Sprintf(" of commit %d", f.Commit)
	}
	return s + ": " + f.Reason
}

// Verify reads the store in file, recomputes its hash chain link by link
// and checks that every record and input is the one chained, in its
// place, and that nothing lies outside the chain. In a store compacted
// (Compact), the chain starts at the first link kept, and the hash of the
// link before it is taken as the compaction left it (Audit.Given):
// VerifyArchived verifies the archive and the store as one chain. check,
// when not nil, is given every chained record in order (the approvals'
// signatures are checked so); its error is a fault of that record. A
// store that does not hold is a *Fault naming the first thing wrong;
// other errors say why the store could not be read. Verify only reads the
// file.
func Verify(ctx context.Context, file string, check func(seq int64, r store.Record) error) (*Audit, error) {
	return verifyFile(ctx, file, check, nil)
}

// VerifyArchived verifies the archive a compaction wrote and the store
// in file as one chain: the archive from link 1, then the store from the
// first link it kept, its predecessor's hash the archive's own. The
// archive must hold every link the store was compacted after; where it
// holds more (a compaction that copied them and stopped before deleting
// them from the store) they must be the store's. The first break is a
// *Fault; one in the archive says so (Fault.In).
func VerifyArchived(ctx context.Context, archive, file string, check func(seq int64, r store.Record) error) (*Audit, error) {
	in := "archive " + archive
	aa, err := Verify(ctx, archive, check)
	var f *Fault
	if errors.As(err, &f) {
		f.In = in
		return nil, f
	}
	if err != nil {
		return nil, err
	}
	if aa.From != 1 {
		return nil, fmt.Errorf("audit %s: it starts at link %d: not an archive ordertwin compact wrote", archive, aa.From)
	}
	a, err := verifyFile(ctx, file, check, func(tx *sql.Tx, c Compacted) error {
		if aa.Commits < c.Link {
			reason := fmt.Sprintf("missing: the archive ends at link %d, the store was compacted after link %d", aa.Commits, c.Link)
			if c.Archive != "" && filepath.Base(c.Archive) != filepath.Base(archive) {
				reason += fmt.Sprintf(" into %s: is this that store's archive?", c.Archive)
			}
			return &Fault{In: in, What: "link", Seq: aa.Commits + 1, Reason: reason}
		}
		if c.Link > 0 {
			h, err := linkHash(ctx, archive, c.Link)
			if err != nil {
				return err
			}
			if h != c.Head {
				return &Fault{In: in, What: "link", Seq: c.Link,
					Reason: fmt.Sprintf("not this store's: the store was compacted after a link %d of hash %s, the archive's has hash %s", c.Link, c.Head, h)}
			}
		}
		if aa.Commits > c.Link {
			var h []byte
			err := tx.QueryRowContext(ctx, `SELECT hash FROM journal_chain WHERE commit_seq = ?`, aa.Commits).Scan(&h)
			if errors.Is(err, sql.ErrNoRows) {
				return &Fault{In: in, What: "link", Seq: aa.Commits,
					Reason: fmt.Sprintf("the archive goes on to link %d, the store holds no such link (compacted after link %d)", aa.Commits, c.Link)}
			}
			if err != nil {
				return err
			}
			if !bytes.Equal(h, aa.Head[:]) {
				return &Fault{What: "link", Seq: aa.Commits,
					Reason: fmt.Sprintf("not the archive's: the store's link %d has hash %x, the archive's %s", aa.Commits, h, aa.Head)}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.From, a.Given, a.Archive, a.Archived = 1, store.Hash{}, archive, aa.Commits
	return a, nil
}

// linkHash reads the hash of link n of the store in file.
func linkHash(ctx context.Context, file string, n int64) (store.Hash, error) {
	db, err := openReadOnly(file)
	if err != nil {
		return store.Hash{}, fmt.Errorf("audit %s: %w", file, err)
	}
	defer db.Close()
	var h store.Hash
	var b []byte
	if err := db.QueryRowContext(ctx, `SELECT hash FROM journal_chain WHERE commit_seq = ?`, n).Scan(&b); err != nil {
		return h, fmt.Errorf("audit %s: link %d: %w", file, n, err)
	}
	copy(h[:], b)
	return h, nil
}

// openReadOnly opens file to read it only.
func openReadOnly(file string) (*sql.DB, error) {
	q := url.Values{"_pragma": {"busy_timeout(5000)"}, "mode": {"ro"}}
	db, err := sql.Open("sqlite", "file:"+file+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// verifyFile verifies the store in file from the first link it holds
// after its compaction, if any; join, when not nil, is asked first
// whether that start is where an archive verified before ends.
func verifyFile(ctx context.Context, file string, check func(int64, store.Record) error, join func(*sql.Tx, Compacted) error) (*Audit, error) {
	db, err := openReadOnly(file)
	if err != nil {
		return nil, fmt.Errorf("audit %s: %w", file, err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}) // one snapshot for every read
	if err != nil {
		return nil, fmt.Errorf("audit %s: %w", file, err)
	}
	defer tx.Rollback()
	var have int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&have); err != nil {
		return nil, fmt.Errorf("audit %s: %w", file, err)
	}
	if want := Version(); have != want {
		return nil, fmt.Errorf("audit %s: schema version %d, want %d: not a store of this ordertwin, or never opened by it", file, have, want)
	}
	c, err := loadCompacted(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("audit %s: %w", file, err)
	}
	if join != nil {
		if err := join(tx, c); err != nil {
			var f *Fault
			if errors.As(err, &f) {
				return nil, f
			}
			return nil, fmt.Errorf("audit %s: %w", file, err)
		}
	}
	v := &verifier{ctx: ctx, tx: tx, check: check}
	a, err := v.run(store.Link{Commit: c.Link, LastRecord: c.Records, LastInput: c.Inputs}, c.Head)
	if err != nil {
		var f *Fault
		if errors.As(err, &f) {
			return nil, f
		}
		return nil, fmt.Errorf("audit %s: %w", file, err)
	}
	a.From = c.Link + 1
	if c.Link > 0 {
		a.Given, a.Archive = c.Head, c.Archive
	}
	return a, nil
}

// verifier walks the links, the records and the inputs of a store
// together, each in order. It reads the records and inputs after
// recordsAfter and inputsAfter (0: all, so that any left before the chain
// starts is found out of place).
type verifier struct {
	ctx          context.Context
	tx           *sql.Tx
	check        func(int64, store.Record) error
	records      *recordRows
	inputs       *inputRows
	recordsAfter int64
	inputsAfter  int64
}

// run verifies the links after prev, whose hash is head (the zero link
// and hash: from the chain's start).
func (v *verifier) run(prev store.Link, head store.Hash) (*Audit, error) {
	var err error
	if v.records, err = v.openRecords(); err != nil {
		return nil, err
	}
	defer v.records.close()
	if v.inputs, err = v.openInputs(); err != nil {
		return nil, err
	}
	defer v.inputs.close()
	links, err := v.tx.QueryContext(v.ctx, `SELECT commit_seq, first_record, last_record, first_input, last_input, hash, record_sums, input_sums
		FROM journal_chain WHERE commit_seq > ? ORDER BY commit_seq`, prev.Commit)
	if err != nil {
		return nil, err
	}
	defer links.Close()
	a := &Audit{Commits: prev.Commit, Records: prev.LastRecord, Inputs: prev.LastInput, Head: head}
	var buf []byte
	var recs []store.Record
	var seqs []int64
	var ins []store.Input
	for links.Next() {
		var l store.Link
		var hash []byte
		var sums, inSums store.Sums
		if err := links.Scan(&l.Commit, &l.FirstRecord, &l.LastRecord, &l.FirstInput, &l.LastInput, &hash, &sums, &inSums); err != nil {
			return nil, err
		}
		switch {
		case l.Commit != prev.Commit+1:
			return nil, &Fault{What: "link", Seq: prev.Commit + 1, Reason: fmt.Sprintf("missing: the chain goes from link %d to %d", prev.Commit, l.Commit)}
		case l.FirstRecord != prev.LastRecord+1 || l.LastRecord < prev.LastRecord:
			return nil, &Fault{What: "link", Seq: l.Commit, Reason: fmt.Sprintf("chains records %d to %d, but the link before ended at %d", l.FirstRecord, l.LastRecord, prev.LastRecord)}
		case l.FirstInput != prev.LastInput+1 || l.LastInput < prev.LastInput:
			return nil, &Fault{What: "link", Seq: l.Commit, Reason: fmt.Sprintf("chains inputs %d to %d, but the link before ended at %d", l.FirstInput, l.LastInput, prev.LastInput)}
		}
		buf, recs, seqs, ins = buf[:0], recs[:0], seqs[:0], ins[:0]
		for seq := l.FirstRecord; seq <= l.LastRecord; seq++ {
			r, err := v.records.want(seq, l.Commit)
			if err != nil {
				return nil, err
			}
			buf = store.EncodeRecords(buf, []store.Record{r})
			recs, seqs = append(recs, r), append(seqs, seq)
		}
		for seq := l.FirstInput; seq <= l.LastInput; seq++ {
			in, err := v.inputs.want(seq, l.Commit)
			if err != nil {
				return nil, err
			}
			ins = append(ins, in)
		}
		var h store.Hash
		copy(h[:], hash)
		if got := store.Chain(a.Head, l, buf, ins); got != h {
			return nil, v.changed(l, got, h, recs, sums, ins, inSums)
		}
		if v.check != nil {
			for i, r := range recs {
				if err := v.check(seqs[i], r); err != nil {
					return nil, &Fault{Commit: l.Commit, What: "record", Seq: seqs[i], Entity: r.Entity, Reason: err.Error()}
				}
			}
		}
		a.Head, a.Commits, a.Records, a.Inputs = h, l.Commit, a.Records+l.Records(), a.Inputs+l.Inputs()
		prev = l
	}
	if err := links.Err(); err != nil {
		return nil, err
	}
	if seq, r, ok, err := v.records.next(); err != nil {
		return nil, err
	} else if ok {
		return nil, &Fault{What: "record", Seq: seq, Entity: r.Entity, Reason: fmt.Sprintf("not chained: the chain ends at record %d", prev.LastRecord)}
	}
	if seq, in, ok, err := v.inputs.next(); err != nil {
		return nil, err
	} else if ok {
		return nil, &Fault{What: "input", Seq: seq, Entity: in.Kind, Reason: fmt.Sprintf("not chained: the chain ends at input %d", prev.LastInput)}
	}
	return a, nil
}

// changed names what differs in a link whose content no longer hashes
// to it: the first record or input whose checksum is not the one chained
// (and where it was chained, if elsewhere), else the link itself.
func (v *verifier) changed(l store.Link, got, want store.Hash, recs []store.Record, sums store.Sums, ins []store.Input, inSums store.Sums) error {
	for i := range recs {
		if sum, ok := sums.At(i); ok && store.RecordSum(&recs[i]) != sum {
			r := &recs[i]
			f := &Fault{Commit: l.Commit, What: "record", Seq: l.FirstRecord + int64(i), Entity: r.Entity,
				Reason: fmt.Sprintf("changed: %s %s → %s [%s] is not the record chained", r.Kind, r.From, r.To, r.Event)}
			if at, ok := v.chainedAt("record_sums", "first_record", store.RecordSum(r)); ok {
				f.Reason = fmt.Sprintf("reordered: holds the record chained as record %d", at)
			}
			return f
		}
	}
	for i := range ins {
		if sum, ok := inSums.At(i); ok && store.InputSum(&ins[i]) != sum {
			f := &Fault{Commit: l.Commit, What: "input", Seq: l.FirstInput + int64(i), Entity: ins[i].Kind,
				Reason: "changed: not the input chained"}
			if at, ok := v.chainedAt("input_sums", "first_input", store.InputSum(&ins[i])); ok {
				f.Reason = fmt.Sprintf("reordered: holds the input chained as input %d", at)
			}
			return f
		}
	}
	return &Fault{What: "link", Seq: l.Commit, Reason: fmt.Sprintf("changed: records %d to %d and inputs %d to %d hash to %s, the link says %s",
		l.FirstRecord, l.LastRecord, l.FirstInput, l.LastInput, got, want)}
}

// chainedAt finds the record or input whose chained checksum is sum.
func (v *verifier) chainedAt(column, first string, sum uint32) (int64, bool) {
	rows, err := v.tx.QueryContext(v.ctx, `SELECT `+first+`, `+column+` FROM journal_chain ORDER BY commit_seq`)
	if err != nil {
		return 0, false
	}
	defer rows.Close()
	for rows.Next() {
		var at int64
		var sums store.Sums
		if rows.Scan(&at, &sums) != nil {
			return 0, false
		}
		for i := range sums.Len() {
			if s, _ := sums.At(i); s == sum {
				return at + int64(i), true
			}
		}
	}
	return 0, false
}

// recordRows reads the records in seq order: the rows of the journal
// table, then the batches.
type recordRows struct {
	ctx     context.Context
	tx      *sql.Tx
	rows    *sql.Rows
	batches bool
	pending []store.Record
	decoded []store.Record // the buffer pending is taken from
	first   int64          // seq of pending[0]
	peeked  *store.Record
	peekSeq int64
	after   int64 // read the records after it
}

func (v *verifier) openRecords() (*recordRows, error) {
	rows, err := v.tx.QueryContext(v.ctx, `SELECT seq, at, kind, entity, name, system, from_state, to_state, event, reason FROM journal WHERE seq > ? ORDER BY seq`,
		v.recordsAfter)
	if err != nil {
		return nil, err
	}
	return &recordRows{ctx: v.ctx, tx: v.tx, rows: rows, after: v.recordsAfter}, nil
}

func (r *recordRows) close() {
	if r.rows != nil {
		r.rows.Close()
	}
}

// next returns the next record and its seq; ok is false at the end.
func (r *recordRows) next() (int64, store.Record, bool, error) {
	if r.peeked != nil {
		rec := *r.peeked
		r.peeked = nil
		return r.peekSeq, rec, true, nil
	}
	for len(r.pending) == 0 {
		if !r.rows.Next() {
			if err := r.rows.Err(); err != nil {
				return 0, store.Record{}, false, err
			}
			if r.batches {
				return 0, store.Record{}, false, nil
			}
			r.rows.Close()
			rows, err := r.tx.QueryContext(r.ctx, `SELECT first_seq, last_seq, data FROM journal_batch WHERE first_seq > ? ORDER BY first_seq`, r.after)
			if err != nil {
				return 0, store.Record{}, false, err
			}
			r.rows, r.batches = rows, true
			continue
		}
		if !r.batches {
			var e store.Entry
			var at int64
			if err := r.rows.Scan(&e.Seq, &at, &e.Kind, &e.Entity, &e.Name, &e.System, &e.From, &e.To, &e.Event, &e.Reason); err != nil {
				return 0, store.Record{}, false, err
			}
			e.At = time.Duration(at)
			return e.Seq, e.Record, true, nil
		}
		var first, last int64
		var data []byte
		if err := r.rows.Scan(&first, &last, &data); err != nil {
			return 0, store.Record{}, false, err
		}
		recs, err := store.DecodeRecords(r.decoded[:0], data)
		if err != nil {
			return 0, store.Record{}, false, &Fault{What: "record", Seq: first, Reason: fmt.Sprintf("changed: the batch of records %d to %d does not decode (%v)", first, last, err)}
		}
		if int64(len(recs)) != last-first+1 {
			return 0, store.Record{}, false, &Fault{What: "record", Seq: first,
				Reason: fmt.Sprintf("changed: the batch of records %d to %d holds %d records", first, last, len(recs))}
		}
		r.pending, r.decoded, r.first = recs, recs, first
	}
	rec := r.pending[0]
	r.pending = r.pending[1:]
	r.first++
	return r.first - 1, rec, true, nil
}

// want returns record seq, the next one, or the fault that it is not.
func (r *recordRows) want(seq, commit int64) (store.Record, error) {
	got, rec, ok, err := r.next()
	switch {
	case err != nil:
		var f *Fault
		if errors.As(err, &f) {
			f.Commit = commit
		}
		return rec, err
	case !ok:
		return rec, &Fault{Commit: commit, What: "record", Seq: seq, Reason: "removed: the journal ends before it"}
	case got > seq:
		r.peeked, r.peekSeq = &rec, got
		return rec, &Fault{Commit: commit, What: "record", Seq: seq, Reason: fmt.Sprintf("removed: the journal goes on at record %d", got)}
	case got < seq:
		return rec, &Fault{Commit: commit, What: "record", Seq: got, Entity: rec.Entity, Reason: fmt.Sprintf("out of order: found where record %d is chained", seq)}
	}
	return rec, nil
}

// inputRows reads the inputs in seq order.
type inputRows struct {
	rows *sql.Rows
}

func (v *verifier) openInputs() (*inputRows, error) {
	rows, err := v.tx.QueryContext(v.ctx, `SELECT `+inputColumns+` FROM inputs WHERE seq > ? ORDER BY seq`, v.inputsAfter)
	if err != nil {
		return nil, err
	}
	return &inputRows{rows: rows}, nil
}

func (r *inputRows) close() { r.rows.Close() }

func (r *inputRows) next() (int64, store.Input, bool, error) {
	if !r.rows.Next() {
		return 0, store.Input{}, false, r.rows.Err()
	}
	seq, in, err := scanInput(r.rows)
	return seq, in, err == nil, err
}

// want returns input seq, the next one, or the fault that it is not.
func (r *inputRows) want(seq, commit int64) (store.Input, error) {
	got, in, ok, err := r.next()
	switch {
	case err != nil:
		return in, err
	case !ok:
		return in, &Fault{Commit: commit, What: "input", Seq: seq, Reason: "removed: the input log ends before it"}
	case got != seq:
		return in, &Fault{Commit: commit, What: "input", Seq: seq, Reason: fmt.Sprintf("removed: the input log goes on at input %d", got)}
	}
	return in, nil
}

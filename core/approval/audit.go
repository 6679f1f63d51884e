package approval

import (
	"fmt"

	"github.com/ordertwin/ordertwin/core/store"
)

// Auditor checks the signed decisions of a journal, given its records in
// order: each is validly signed, for the stage and quote its record
// names, with the decision its record says, over the digest the quote
// had when it was submitted (its DigestKind record).
type Auditor struct {
	digests map[string]string
	// Checked counts the signed decisions checked.
	Checked int
	// Partial: the records given are a journal's tail (its beginning
	// compacted into an archive). A decision on a quote whose digest
	// record is not among them cannot be checked: it is counted in
	// Unchecked, not an error.
	Partial   bool
	Unchecked int
}

// Check checks one record; records of other kinds pass.
func (a *Auditor) Check(_ int64, r store.Record) error {
	switch r.Kind {
	case DigestKind:
		if a.digests == nil {
			a.digests = map[string]string{}
		}
		a.digests[r.Entity] = r.Reason
	case RecordKind:
		d, signer, err := Open(r.Reason)
		if err != nil {
			return err
		}
		switch want, ok := a.digests[d.Quote]; {
		case d.Quote+"/"+d.Stage != r.Entity:
			return fmt.Errorf("%w: signed for %s/%s, journalled for %s", ErrSignature, d.Quote, d.Stage, r.Entity)
		case d.State() != r.Event:
			return fmt.Errorf("%w: signed %s, journalled %s", ErrSignature, d.State(), r.Event)
		case signer != r.To:
			return fmt.Errorf("%w: signed by %s, journalled as %s's", ErrSignature, signer, r.To)
		case !ok && a.Partial:
			a.Unchecked++
			return nil
		case !ok:
			return fmt.Errorf("%w: the journal holds no digest of quote %s", ErrSignature, d.Quote)
		case d.Digest != want:
			return fmt.Errorf("%w: signed over digest %s, quote %s's content was %s", ErrSignature, d.Digest, d.Quote, want)
		}
		a.Checked++
	}
	return nil
}

package store

import (
	"errors"
	"fmt"
)

// Frozen is a durable store read by a process that rebuilds its state
// beside the process that writes it (a snapshot taker): it reads as the
// store does and writes nothing. A replay's records are checked against
// the journal by Resume before they reach it, so a record or input that
// does reach it is one the writer did not commit: an error. Read models
// shelved again by the replay are dropped: the writer shelved them.
type Frozen struct {
	Durable
}

// Freeze returns d, frozen.
func Freeze(d Durable) Frozen { return Frozen{d} }

// errFrozen is the error of a write to a frozen store.
var errFrozen = errors.New("the store is written by another process: this one writes nothing")

// Append refuses records.
func (f Frozen) Append(records []Record) error { return f.Commit(records, nil) }

// Commit refuses records and inputs.
func (f Frozen) Commit(records []Record, inputs []Input) error {
	if len(records) == 0 && len(inputs) == 0 {
		return nil
	}
	return fmt.Errorf("%d records and %d inputs beyond what was committed: %w", len(records), len(inputs), errFrozen)
}

// LogInputs refuses inputs.
func (f Frozen) LogInputs(inputs []Input) error { return f.Commit(nil, inputs) }

// Shelve drops docs: the writer shelved them when it made them.
func (f Frozen) Shelve([]Doc) error { return nil }

// SaveSnapshot refuses: the snapshot goes to the writer, which keeps it.
func (f Frozen) SaveSnapshot(Snapshot) error { return fmt.Errorf("save snapshot: %w", errFrozen) }

// SetMeta refuses.
func (f Frozen) SetMeta(key, _ string) error { return fmt.Errorf("set %s: %w", key, errFrozen) }

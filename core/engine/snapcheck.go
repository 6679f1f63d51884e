package engine

import (
	"encoding/binary"
	"fmt"

	"github.com/ordertwin/ordertwin/core/store"
)

// CheckSnapshot tells, as far as can be told without the system that saved
// it, whether this build can restore a snapshot: its body decodes (the
// engine's own state, in this build's encoding or an earlier one's that
// Restore reads, then each part's state whole, nothing after the last),
// and it is the snapshot its place says (the inputs handled and the
// records committed). It returns the names of the parts it keeps. A
// snapshot that passes may still not restore: each part decodes its own
// state, into a system built as the saved one was (Restore).
func CheckSnapshot(s store.Snapshot) (parts []string, err error) {
	st, rest, err := decodeSaved(s.Body)
	if err != nil {
		return nil, fmt.Errorf("the engine's state does not decode: %w", err)
	}
	for _, name := range st.Parts {
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) {
			return nil, fmt.Errorf("the state of %s is cut short", name)
		}
		rest = rest[k+int(n):]
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("%d bytes after the last part", len(rest))
	}
	if st.Processed != s.Inputs || st.Records != s.Records {
		return nil, fmt.Errorf("its body is the state after %d inputs and %d records, not after %d and %d as its place says",
			st.Processed, st.Records, s.Inputs, s.Records)
	}
	return st.Parts, nil
}

package sqlite

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/golang/snappy"
)

// squeeze says how a shelved body's rest (after its prefix) or a pack is
// kept: the deflated column of the shelf and shelf_pack tables, named
// when DEFLATE was the only way.
type squeeze int

const (
	// plain is kept as it is.
	plain squeeze = 0
	// deflated is DEFLATE (RFC 1951), as earlier builds wrote long bodies;
	// read still, no longer written.
	deflated squeeze = 1
	// snappied is Snappy: on the shelved docs of the national rollout it
	// keeps 1/6 of a pack's bytes where DEFLATE's fastest level keeps 1/8,
	// at 1.3 GB/s instead of 0.2 (a shelving's CPU went to deflating what
	// it saved writing).
	snappied squeeze = 2
)

// minSqueezed is the shortest rest of a body worth squeezing in a shelf
// row of its own: an order's items repeat their fields and ids, and a
// product order's (38 KB on the national rollout) or a service order's (7
// KB) squeezes to a sixth; a shorter body (a resource order's 2 to 3 KB, a
// resource, a service) goes into its kind's pack, which is squeezed whole.
const minSqueezed = 4096

// squeezer squeezes the bodies of a shelving into one buffer, kept from
// one shelving to the next: a buffer of its own for each body cost more,
// in fresh pages first touched, than squeezing it.
type squeezer struct{ arena []byte }

// maxArena is the most a squeezer keeps between two shelvings.
const maxArena = 4 << 20

// squeezed returns b squeezed, and how; b itself, plain, when it is too
// short or squeezing saves less than a quarter of it. What it returns
// stays as it is until reset.
func (z *squeezer) squeezed(b []byte) ([]byte, squeeze) {
	if len(b) < minSqueezed {
		return b, plain
	}
	n := snappy.MaxEncodedLen(len(b))
	z.arena = slices.Grow(z.arena, n)
	at := len(z.arena)
	s := snappy.Encode(z.arena[at:at+n], b)
	if len(s) > len(b)*3/4 {
		return b, plain
	}
	z.arena = z.arena[:at+len(s)]
	return s, snappied
}

// reset starts a shelving: what the last one squeezed is no longer used.
func (z *squeezer) reset() {
	if cap(z.arena) > maxArena {
		z.arena = nil
	}
	z.arena = z.arena[:0]
}

// unsqueezed returns prefix followed by b as it was before it was
// squeezed how (a new slice, unless plain with no prefix: b).
func unsqueezed(how squeeze, prefix, b []byte) ([]byte, error) {
	switch how {
	case plain:
		if len(prefix) == 0 {
			return b, nil
		}
		out := make([]byte, 0, len(prefix)+len(b))
		return append(append(out, prefix...), b...), nil
	case deflated:
		return inflate(prefix, b)
	case snappied:
		n, err := snappy.DecodedLen(b)
		if err != nil {
			return nil, fmt.Errorf("snappy: %w", err)
		}
		out := make([]byte, len(prefix)+n)
		copy(out, prefix)
		if _, err := snappy.Decode(out[len(prefix):], b); err != nil {
			return nil, fmt.Errorf("snappy: %w", err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("a body squeezed in an unknown way (%d)", how)
}

// inflaters are the readers that decompress deflated bodies, kept for
// reuse: each holds a window and tables of tens of KB.
var inflaters sync.Pool

// inflate returns prefix followed by packed decompressed.
func inflate(prefix, packed []byte) ([]byte, error) {
	src := bytes.NewReader(packed)
	r, _ := inflaters.Get().(io.ReadCloser)
	if r == nil {
		r = flate.NewReader(src)
	} else if err := r.(flate.Resetter).Reset(src, nil); err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	defer inflaters.Put(r)
	out := bytes.NewBuffer(make([]byte, 0, len(prefix)+4*len(packed)))
	out.Write(prefix)
	if _, err := out.ReadFrom(r); err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	return out.Bytes(), nil
}

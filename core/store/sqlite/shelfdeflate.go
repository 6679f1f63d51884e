package sqlite

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"sync"
)

// minDeflated is the shortest rest of a body (what follows its prefix)
// worth deflating: an order's items repeat their fields and ids, and a
// product order's (38 KB on the national rollout) or a service order's
// (7 KB) deflates to an eighth; a shorter body (a resource order's 2 to 3
// KB, a resource, a service) costs more to deflate, its Huffman codes
// built for a few bytes each, than its bytes cost to write.
const minDeflated = 4096

// deflater compresses the bodies the writer shelves, one at a time.
type deflater struct{ w *flate.Writer }

// deflate returns rest compressed, ok false when it is too short or
// saves less than a quarter of its size (then rest is kept as it is).
func (d *deflater) deflate(rest []byte) (packed []byte, ok bool, err error) {
	if len(rest) < minDeflated {
		return nil, false, nil
	}
	var b bytes.Buffer
	b.Grow(len(rest) / 2)
	if d.w == nil {
		if d.w, err = flate.NewWriter(&b, flate.BestSpeed); err != nil {
			return nil, false, err
		}
	} else {
		d.w.Reset(&b)
	}
	if _, err := d.w.Write(rest); err != nil {
		return nil, false, fmt.Errorf("deflate: %w", err)
	}
	if err := d.w.Close(); err != nil {
		return nil, false, fmt.Errorf("deflate: %w", err)
	}
	if b.Len() > len(rest)*3/4 {
		return nil, false, nil
	}
	return b.Bytes(), true, nil
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

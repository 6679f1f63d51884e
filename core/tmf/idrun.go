package tmf

import (
	"iter"
	"strconv"
)

// An IDRun stands for the ids Prefix followed by each number from First to
// Last, zero-padded to Width digits (ROI-007 … ROI-012: "ROI-", 3, 7, 12).
// An id that does not end in 1 to 18 digits is a run of its own: the whole
// id as Prefix, Width 0, First and Last 0.
type IDRun struct {
	Prefix      string
	Width       int
	First, Last int64
}

// RunOf is the run of id alone.
func RunOf(id string) IDRun {
	i := len(id)
	for i > 0 && id[i-1] >= '0' && id[i-1] <= '9' {
		i--
	}
	width := len(id) - i
	if width == 0 || width > 18 {
		return IDRun{Prefix: id}
	}
	n, _ := strconv.ParseInt(id[i:], 10, 64) // 18 digits at most: it fits
	return IDRun{Prefix: id[:i], Width: width, First: n, Last: n}
}

// Numbered reports whether r's ids end in a number (Width > 0), as against
// one id that does not.
func (r IDRun) Numbered() bool { return r.Width > 0 }

// Nth is the id of number n of r, which must be numbered.
func (r IDRun) Nth(n int64) string {
	s := strconv.FormatInt(n, 10)
	b := make([]byte, 0, len(r.Prefix)+max(r.Width, len(s)))
	b = append(b, r.Prefix...)
	for range r.Width - len(s) {
		b = append(b, '0')
	}
	return string(append(b, s...))
}

// IDRuns yields ids as runs of consecutive ids, in their order: an id
// joins the run before it when it has the run's prefix and width and the
// number after its last.
func IDRuns(ids iter.Seq[string]) iter.Seq[IDRun] {
	return func(yield func(IDRun) bool) {
		var run IDRun
		started := false
		for id := range ids {
			k := RunOf(id)
			if started && k.Numbered() && run.Numbered() && k.Prefix == run.Prefix && k.Width == run.Width && k.First == run.Last+1 {
				run.Last = k.First
				continue
			}
			if started && !yield(run) {
				return
			}
			run, started = k, true
		}
		if started {
			yield(run)
		}
	}
}

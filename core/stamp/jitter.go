package stamp

import "time"

// Jitter is the interarrival jitter of RFC 3550 §6.4.1: a running mean of
// how much the transit time changes from one packet to the next, J += (|D|
// - J)/16. Transit times may be taken between unsynchronised clocks: only
// their differences count.
type Jitter struct {
	j    float64
	last time.Duration
	seen bool
}

// Add takes the next packet's transit time, in the order sent.
func (j *Jitter) Add(transit time.Duration) {
	if j.seen {
		d := float64(transit - j.last)
		if d < 0 {
			d = -d
		}
		j.j += (d - j.j) / 16
	}
	j.last, j.seen = transit, true
}

// Value is the jitter so far.
func (j *Jitter) Value() time.Duration { return time.Duration(j.j + 0.5) }

package load

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Segment is a stretch of a profile: the rate of arrivals (a second) goes
// from From to To, linearly, over For (For 0: for ever, at From).
type Segment struct {
	From, To float64
	For      time.Duration
}

// Profile is when arrivals are due: its segments one after the other.
type Profile []Segment

// Rate is arrivals at a fixed rate a second for d (0: for ever).
func Rate(perSecond float64, d time.Duration) Profile {
	return Profile{{From: perSecond, To: perSecond, For: d}}
}

// Ramp is arrivals whose rate goes from one rate to another over d.
func Ramp(from, to float64, d time.Duration) Profile {
	return Profile{{From: from, To: to, For: d}}
}

// ParseSteps reads a step profile, "RATE:DURATION,…" ("100:10s,300:10s"):
// each rate held for its duration, one after the other.
func ParseSteps(s string) (Profile, error) {
	var p Profile
	for i, step := range strings.Split(s, ",") {
		r, d, ok := strings.Cut(strings.TrimSpace(step), ":")
		rate, err := strconv.ParseFloat(r, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("step %d %q: want RATE:DURATION, such as 100:10s", i+1, step)
		}
		dur, err := time.ParseDuration(d)
		if err != nil || dur <= 0 {
			return nil, fmt.Errorf("step %d %q: want a positive duration, such as 10s", i+1, step)
		}
		p = append(p, Segment{From: rate, To: rate, For: dur})
	}
	return p, p.Check()
}

// ParseRamp reads a ramp, "FROM:TO" in arrivals a second, over d.
func ParseRamp(s string, d time.Duration) (Profile, error) {
	a, b, ok := strings.Cut(s, ":")
	from, err1 := strconv.ParseFloat(a, 64)
	to, err2 := strconv.ParseFloat(b, 64)
	if !ok || err1 != nil || err2 != nil {
		return nil, fmt.Errorf("ramp %q: want FROM:TO in arrivals a second, such as 10:500", s)
	}
	if d <= 0 {
		return nil, fmt.Errorf("ramp %q: give the duration it takes (--duration)", s)
	}
	p := Ramp(from, to, d)
	return p, p.Check()
}

// Check says what is wrong with p: a rate that is negative or not a
// number, a segment of no arrivals at all, a segment for ever that is not
// the last.
func (p Profile) Check() error {
	if len(p) == 0 {
		return errors.New("a profile needs at least one segment")
	}
	for i, s := range p {
		switch {
		case !(s.From >= 0) || !(s.To >= 0) || math.IsInf(s.From, 0) || math.IsInf(s.To, 0):
			return fmt.Errorf("segment %d: rates must be finite and not negative, not %g to %g", i+1, s.From, s.To)
		case s.For < 0:
			return fmt.Errorf("segment %d: a negative duration %s", i+1, s.For)
		case s.For == 0 && i < len(p)-1:
			return fmt.Errorf("segment %d: only the last segment may last for ever", i+1)
		case s.For == 0 && s.From == 0:
			return fmt.Errorf("segment %d: a rate of 0 for ever sends nothing", i+1)
		}
	}
	return nil
}

// Length is how long p lasts; 0 for ever.
func (p Profile) Length() time.Duration {
	var d time.Duration
	for _, s := range p {
		if s.For == 0 {
			return 0
		}
		d += s.For
	}
	return d
}

// Due is when arrival i (from 0) is due after the start, the time by which
// i arrivals have been due; false when p ends before. A profile brings as
// many arrivals as its rate's integral holds whole (3/s for 1.5 s: 4, not
// 5): each arrival holds its share of the profile's time (1/rate), so its
// arrivals never offer more than its rate.
func (p Profile) Due(i int) (time.Duration, bool) {
	if float64(i)+1 > p.arrivals()*(1+1e-12) { // a margin for the float's rounding (4.6/s for 25s: 114.99999999999999)
		return 0, false
	}
	n := float64(i)
	var at time.Duration
	for _, s := range p {
		if s.For == 0 { // for ever at From
			return at + seconds(n/s.From), true
		}
		T := s.For.Seconds()
		in := (s.From + s.To) / 2 * T // arrivals in the segment
		if n < in {
			if n == 0 {
				return at, true
			}
			if s.From == s.To {
				return at + seconds(n/s.From), true
			}
			// n = From·t + (To−From)·t²/(2T): the root that is in [0, T].
			k := (s.To - s.From) / T
			t := 2 * n / (s.From + math.Sqrt(s.From*s.From+2*k*n))
			return at + seconds(t), true
		}
		n -= in
		at += s.For
	}
	return 0, false
}

// arrivals is the integral of p's rate over its length, +Inf for a profile
// that lasts for ever.
func (p Profile) arrivals() float64 {
	n := 0.0
	for _, s := range p {
		if s.For == 0 {
			return math.Inf(1)
		}
		n += (s.From + s.To) / 2 * s.For.Seconds()
	}
	return n
}

// Span is how long the schedule of p's first n arrivals lasts: until an
// arrival after them would be due (n/rate at a fixed rate: arrival 0 is
// due at the start, and each holds its share of the time), or until p
// ends when it ends before.
func (p Profile) Span(n int) time.Duration {
	if d, ok := p.Due(n); ok {
		return d
	}
	return p.Length()
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// String says what p is in a few words: "100/s for 30s", "10/s to 500/s
// over 1m0s", steps joined by ", ".
func (p Profile) String() string {
	var parts []string
	for _, s := range p {
		var part string
		if s.From == s.To {
			part = fmt.Sprintf("%g/s", s.From)
		} else {
			part = fmt.Sprintf("%g/s to %g/s", s.From, s.To)
		}
		if s.For > 0 {
			part += " for " + s.For.String()
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", ")
}

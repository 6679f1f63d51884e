package tmf

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// FormatOffset writes an offset from T+0 as an ISO 8601 duration with days,
// hours, minutes and seconds: PT0S, PT5H, P5D, P5DT1H30M.
func FormatOffset(d time.Duration) string {
	if d == 0 {
		return "PT0S"
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	b.WriteByte('P')
	day := 24 * time.Hour
	if days := d / day; days > 0 {
		b.WriteString(strconv.FormatInt(int64(days), 10))
		b.WriteByte('D')
		d -= days * day
	}
	if d > 0 {
		b.WriteByte('T')
		for _, u := range []struct {
			unit time.Duration
			tag  byte
		}{{time.Hour, 'H'}, {time.Minute, 'M'}} {
			if n := d / u.unit; n > 0 {
				b.WriteString(strconv.FormatInt(int64(n), 10))
				b.WriteByte(u.tag)
				d -= n * u.unit
			}
		}
		if d > 0 {
			b.WriteString(strconv.FormatFloat(d.Seconds(), 'f', -1, 64))
			b.WriteByte('S')
		}
	}
	return b.String()
}

// ParseOffset reads an ISO 8601 duration of weeks, days, hours, minutes and
// seconds (years and months have no fixed length and are refused).
func ParseOffset(s string) (time.Duration, error) {
	orig := s
	bad := func(why string) (time.Duration, error) {
		return 0, fmt.Errorf("duration %q: %s (want ISO 8601 like PT5H, P5D or P5DT2H30M)", orig, why)
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return bad("must start with P and have at least one part")
	}
	s = s[1:]
	var total time.Duration
	inTime := false
	for len(s) > 0 {
		if s[0] == 'T' {
			if inTime {
				return bad("two T separators")
			}
			inTime = true
			s = s[1:]
			continue
		}
		i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if i <= 0 {
			return bad("a number must come before each unit")
		}
		n, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return bad("bad number")
		}
		var unit time.Duration
		switch u := s[i]; {
		case u == 'W' && !inTime:
			unit = 7 * 24 * time.Hour
		case u == 'D' && !inTime:
			unit = 24 * time.Hour
		case u == 'H' && inTime:
			unit = time.Hour
		case u == 'M' && inTime:
			unit = time.Minute
		case u == 'S' && inTime:
			unit = time.Second
		case (u == 'Y' || u == 'M') && !inTime:
			return bad("years and months are not fixed lengths; use days")
		default:
			return bad(fmt.Sprintf("unknown unit %q", u))
		}
		v := n * float64(unit)
		if v >= 1<<63 || time.Duration(v) > math.MaxInt64-total {
			return bad("longer than the longest offset, about 292 years")
		}
		total += time.Duration(v)
		s = s[i+1:]
	}
	if neg {
		total = -total
	}
	return total, nil
}

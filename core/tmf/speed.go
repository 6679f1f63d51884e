package tmf

import (
	"strconv"
	"strings"
)

// SpeedMbps reads a speed characteristic ("500M-sym", "1G-sym", "100M")
// in Mbps; 0 if it is not one.
func SpeedMbps(s string) int {
	s, _, _ = strings.Cut(s, "-")
	mult := 1
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1000, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		s = strings.TrimSuffix(s, "M")
	}
	n, _ := strconv.Atoi(s)
	return n * mult
}

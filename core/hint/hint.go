// Package hint suggests the name a person probably meant when they wrote
// one that is not known: a misspelled key, offering, address or element.
package hint

import (
	"fmt"
	"strings"
)

// Nearest returns the known name closest to word in edit distance, ignoring
// case, when it is close enough to be a slip of the keyboard: at most a
// third of the longer name's letters differ, and at most three. When two
// known names are as close, neither is the one meant ("Wave 3" among "Wave
// 1" and "Wave 2"). With none that close, the one known name that begins
// with word is meant ("500M" for "500M-sym").
func Nearest(word string, known []string) (string, bool) {
	best, bestDist, tied := "", -1, false
	w := strings.ToLower(word)
	for _, k := range known {
		d := distance(w, strings.ToLower(k))
		switch {
		case d > limit(word, k):
		case bestDist < 0 || d < bestDist:
			best, bestDist, tied = k, d, false
		case d == bestDist && k != best:
			tied = true
		}
	}
	if bestDist >= 0 {
		return best, !tied
	}
	return prefixed(w, known)
}

// prefixed is the one known name that begins with w (lower case), when w
// is most of a name left short ("500M" for "500M-sym").
func prefixed(w string, known []string) (string, bool) {
	found := ""
	for _, k := range known {
		if len(w) >= 2 && strings.HasPrefix(strings.ToLower(k), w) {
			if found != "" {
				return "", false
			}
			found = k
		}
	}
	return found, found != ""
}

// DidYouMean is Nearest as the end of an error message: ` (did you mean
// "X"?)`, or nothing when no known name is close.
func DidYouMean(word string, known []string) string {
	if k, ok := Nearest(word, known); ok {
		return fmt.Sprintf(" (did you mean %q?)", k)
	}
	return ""
}

func limit(a, b string) int {
	n := max(len(a), len(b)) / 3
	return max(1, min(n, 3))
}

// distance is the Damerau–Levenshtein distance (optimal string
// alignment): insertions, deletions, substitutions and transpositions of
// adjacent bytes each cost one.
func distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

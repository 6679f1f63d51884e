package tmf

import (
	"slices"
	"strings"
)

// KnownAttribute says whether path (productOrderItem.state, split at its
// dots) is one of known, the attributes of an entity as a filter may name
// them: each a name or a dotted path, or name.* beneath which any path
// is one (a map, a value whose shape its type does not fix). The list
// filter of every API and the hub's event filter check their attributes
// with it.
func KnownAttribute(known []string, path []string) bool {
	if slices.Contains(known, strings.Join(path, ".")) {
		return true
	}
	for n := len(path) - 1; n >= 1; n-- {
		if slices.Contains(known, strings.Join(path[:n], ".")+".*") {
			return true
		}
	}
	return false
}

package scenarios

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// lines indexes a scenario file by path: the line of each key
// ("quote.sites[2].sla") and of each list item ("quote.sites[2]"), so that
// a check that knows where it looked can say which line is wrong.
type lines map[string]int

// indexLines walks a decoded document.
func indexLines(root *yaml.Node) lines {
	l := lines{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := n.Content[i].Value
				if path != "" {
					p = path + "." + p
				}
				l[p] = n.Content[i].Line
				walk(n.Content[i+1], p)
			}
		case yaml.SequenceNode:
			for i, item := range n.Content {
				p := path + "[" + strconv.Itoa(i) + "]"
				l[p] = item.Line
				walk(item, p)
			}
		}
	}
	if root != nil {
		walk(root, "")
	}
	return l
}

// at is "line N: " for path, or for the nearest enclosing path the file
// has (a key that is missing is reported at what holds it); "" when the
// file has none of it.
func (l lines) at(path string) string {
	for path != "" {
		if n, ok := l[path]; ok {
			return fmt.Sprintf("line %d: ", n)
		}
		cut := max(strings.LastIndexByte(path, '.'), strings.LastIndexByte(path, '['))
		if cut < 0 {
			return ""
		}
		path = path[:cut]
	}
	return ""
}

// quotePath is where in the file a fault the quote's check found
// (com.COM.Check) is: a site's or a wave's field, or the quote's.
func (f *File) quotePath(msg string) string {
	field := func(keys ...string) string { return fieldOf(msg, keys...) }
	if rest, ok := strings.CutPrefix(msg, "site "); ok {
		code, _, _ := strings.Cut(rest, ":")
		code, _, _ = strings.Cut(code, " ")
		code = strings.Trim(code, `"`)
		for i, s := range f.Quote.Sites {
			if s.Code == code {
				return fmt.Sprintf("quote.sites[%d]", i) + field("wave", "wave", "rate card", "rateCard", "product offering", "offering", "of offering", "offering",
					"term", "offering", "SLA tier", "sla", "speed", "speed", "price", "price", "address", "address")
			}
		}
		return "quote.sites"
	}
	if rest, ok := strings.CutPrefix(msg, "wave "); ok {
		name, _, _ := strings.Cut(rest, ":")
		for i, w := range f.Quote.Waves {
			if w.Name == name {
				return fmt.Sprintf("quote.waves[%d]", i) + field("gate", "after")
			}
		}
		return "quote.waves"
	}
	switch {
	case strings.Contains(msg, "product offering"):
		return "quote.offering"
	case strings.Contains(msg, "customer"):
		return "customer"
	case strings.Contains(msg, "rollout plan"), strings.HasPrefix(msg, "waves "):
		return "quote.waves"
	case strings.Contains(msg, "site"):
		return "quote.sites"
	}
	return "quote" + field(quoteFields...)
}

// quoteFields pairs what COM's check of a quote says of a field of the
// whole quote with that field's key.
var quoteFields = []string{"SLA tier", "sla", "speed", "speed", "term", "term", "rate card", "rateCard", "price", "price"}

// populationPath is quotePath for a population, whose customers' quotes
// take its offering, tier, speed, term, rate card and price.
func populationPath(msg string) string { return "population" + fieldOf(msg, quoteFields...) }

// fieldOf is ".key" of the first pair of keys (what a message says, key)
// whose first msg contains; "" for none.
func fieldOf(msg string, keys ...string) string {
	for i := 0; i+1 < len(keys); i += 2 {
		if strings.Contains(msg, keys[i]) {
			return "." + keys[i+1]
		}
	}
	return ""
}

// byLine orders a file's faults by the line they name, those that name
// none first, each in the order it was found.
func byLine(errs []error) {
	line := func(e error) int {
		var n int
		if _, err := fmt.Sscanf(e.Error(), "line %d:", &n); err != nil {
			return 0
		}
		return n
	}
	slices.SortStableFunc(errs, func(a, b error) int { return cmp.Compare(line(a), line(b)) })
}

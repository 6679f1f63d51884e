package catalog

import (
	"fmt"
	"strings"

	"github.com/ordertwin/ordertwin/core/slab"
	"github.com/ordertwin/ordertwin/core/tmf"
	"go.yaml.in/yaml/v3"
)

// UnmarshalYAML reads a mapping, keeping its order.
func (t *Template) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: characteristics must be a mapping of name: value", n.Line)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: characteristic %q must have a plain value", v.Line, k.Value)
		}
		if seen[k.Value] {
			return fmt.Errorf("line %d: characteristic %q given twice", k.Line, k.Value)
		}
		seen[k.Value] = true
		value := v.Value
		if v.Tag == "!!null" {
			value = "" // empty, ~ or null: no value, left out when applied
		}
		*t = append(*t, tmf.Characteristic{Name: k.Value, Value: value})
	}
	return nil
}

// Vars gives the values a template may refer to as {name}.
type Vars interface {
	Var(name string) (string, bool)
}

// Map is Vars held in a map.
type Map map[string]string

// Var returns the value of name.
func (m Map) Var(name string) (string, bool) {
	v, ok := m[name]
	return v, ok
}

// CustomerVar is the catalog variable name of customer, the party's id
// (CUST-ENT-1102): customer.code is the id after "CUST-" (ENT-1102),
// customer.number what follows its last dash (1102); ok is false for
// another name.
func CustomerVar(customer, name string) (string, bool) {
	switch name {
	case "customer.code":
		return strings.TrimPrefix(customer, "CUST-"), true
	case "customer.number":
		return customer[strings.LastIndexByte(customer, '-')+1:], true
	}
	return "", false
}

// Expand replaces every {name} in s by vars[name]. An unknown name is an
// error naming it.
func Expand(s string, vars Vars) (string, error) { return ExpandIn(nil, s, vars) }

// ExpandIn is Expand, a value that must be built being made by strs (a
// new string when strs is nil).
func ExpandIn(strs *slab.Strings, s string, vars Vars) (string, error) {
	if !strings.Contains(s, "{") {
		return s, nil
	}
	if vars == nil {
		vars = Map(nil)
	}
	if n := len(s); s[0] == '{' && s[n-1] == '}' && strings.IndexByte(s[1:], '{') < 0 && strings.IndexByte(s, '}') == n-1 {
		v, ok := vars.Var(s[1 : n-1]) // the whole value is one variable: no copy
		if !ok {
			return "", fmt.Errorf("unknown variable %s", s)
		}
		return v, nil
	}
	// One allocation: the expansion is built on the stack, then copied
	// into its string.
	var buf [128]byte
	b, err := AppendExpand(buf[:0], s, vars)
	switch {
	case err != nil:
		return "", err
	case strs != nil:
		return strs.Bytes(b), nil
	}
	return string(b), nil
}

// AppendExpand appends s expanded (Expand) to b: callers that expand many
// templates build their values in one buffer.
func AppendExpand(b []byte, s string, vars Vars) ([]byte, error) {
	if vars == nil {
		vars = Map(nil)
	}
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return append(b, s...), nil
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return b, fmt.Errorf("unclosed { in %q", s)
		}
		name := s[i+1 : i+j]
		v, ok := vars.Var(name)
		if !ok {
			return b, fmt.Errorf("unknown variable {%s}", name)
		}
		b = append(b, s[:i]...)
		b = append(b, v...)
		s = s[i+j+1:]
	}
}

// Apply expands the template; a characteristic whose value expands to ""
// is left out.
func (t Template) Apply(vars Vars) (tmf.Characteristics, error) {
	return t.ApplyIn(make(tmf.Characteristics, 0, len(t)), nil, vars)
}

// ApplyIn is Apply into out's room, which must hold len(t)
// characteristics, with the values that must be built made by strs (as
// ExpandIn): callers expanding many templates carve them from one array.
// The result has no room beyond len(t): appending to it copies.
func (t Template) ApplyIn(out tmf.Characteristics, strs *slab.Strings, vars Vars) (tmf.Characteristics, error) {
	out = out[:0:len(t)]
	for _, c := range t {
		v, err := ExpandIn(strs, c.Value, vars)
		if err != nil {
			return nil, fmt.Errorf("characteristic %s: %w", c.Name, err)
		}
		if v != "" {
			out = append(out, tmf.Characteristic{Name: c.Name, Value: v})
		}
	}
	return out, nil
}

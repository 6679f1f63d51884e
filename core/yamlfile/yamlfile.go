// Package yamlfile reads the product's YAML files — scenarios, catalogs,
// networks, access files — into their Go types with errors a person can
// act on: an empty file or one that is not text says so, a syntax error
// names the line that breaks it and shows it, and every key that is not
// known is named with its line, its place in the file, the nearest known
// key and the keys that are allowed there.
package yamlfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/ordertwin/ordertwin/core/hint"
)

// ErrEmpty is the error of a file with no YAML document in it.
var ErrEmpty = errors.New("the file is empty")

// Decode reads the one YAML document of data into v, a pointer to a
// struct. It checks the text, the syntax and every key before it decodes
// anything, and names each fault it finds; v is decoded into only when the
// document is well formed and every key is known, or when unknown keys are
// its only faults (the error is then an *UnknownKeys).
func Decode(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return ErrEmpty
	}
	if err := checkText(data); err != nil {
		return err
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: it holds only comments", ErrEmpty)
		}
		return locate(data, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		line := next.Line
		if err != nil {
			return locate(data, err)
		}
		return fmt.Errorf("line %d: a second YAML document: the file holds one", line)
	}
	var problems []error
	walk(&doc, reflect.TypeOf(v), "", &problems)
	if len(problems) > 0 {
		if !slices.ContainsFunc(problems, func(err error) bool { _, ok := err.(unknownKeyError); return !ok }) {
			if err := doc.Decode(v); err != nil {
				return errors.Join(append(problems, typeErrors(err))...)
			}
			return &UnknownKeys{Errs: problems}
		}
		return errors.Join(problems...)
	}
	if err := doc.Decode(v); err != nil {
		return typeErrors(err)
	}
	return nil
}

// UnknownKeys is Decode's error for a well-formed document whose only
// faults are keys its type does not have. v has then been decoded with
// those keys left out, so that a caller may check the rest of the file
// and name every fault at once rather than the keys alone.
type UnknownKeys struct {
	Errs []error // one per key, each naming its line
}

func (u *UnknownKeys) Error() string   { return errors.Join(u.Errs...).Error() }
func (u *UnknownKeys) Unwrap() []error { return u.Errs }

// unknownKeyError is a key that is not a field of the type at its place.
type unknownKeyError struct{ error }

// checkText refuses bytes that are not UTF-8 text: a binary file, or a
// file in another encoding, named by the line and column of the first.
func checkText(data []byte) error {
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return fmt.Errorf("line %d, column %d: byte 0x%02x is not UTF-8 text: this is not a YAML file", line, col, data[i])
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0x7f:
			return fmt.Errorf("line %d, column %d: control character %U: this is not a YAML file", line, col, r)
		case r == '\n':
			line, col = line+1, 0
		}
		i += size
		col++
	}
	return nil
}

var linePrefix = regexp.MustCompile(`^yaml: (line \d+: )?`)

// locate turns a syntax error into one that names the line breaking the
// document and shows it. The parser reports the line where the construct
// it was reading began, often a line or more before the fault; the first
// line whose addition to the lines before makes them fail to parse is the
// fault's.
func locate(data []byte, err error) error {
	lines := bytes.SplitAfter(data, []byte("\n"))
	parse := func(n int) error {
		var node yaml.Node
		return yaml.Unmarshal(bytes.Join(lines[:n], nil), &node)
	}
	good, bad := 0, len(lines) // the first good lines parse; the first bad do not
	for bad-good > 1 {
		mid := (good + bad) / 2
		if parse(mid) != nil {
			bad = mid
		} else {
			good = mid
		}
	}
	if e := parse(bad); e != nil {
		err = e
	}
	text := string(lines[bad-1])
	msg := linePrefix.ReplaceAllString(err.Error(), "")
	if indent := text[:len(text)-len(strings.TrimLeft(text, " \t"))]; strings.Contains(indent, "\t") {
		msg = "indented with a tab (YAML indents with spaces)"
	}
	return fmt.Errorf("line %d: %s: %s", bad, msg, strings.TrimSpace(text))
}

var unmarshaler = reflect.TypeFor[yaml.Unmarshaler]()

// walk checks node against the type t it will be decoded into, appending
// a problem for each key t does not have and each value of the wrong
// shape; path names node's place in the file.
func walk(node *yaml.Node, t reflect.Type, path string, problems *[]error) {
	for node.Kind == yaml.AliasNode {
		node = node.Alias
	}
	if node.Kind == yaml.DocumentNode {
		for _, c := range node.Content {
			walk(c, t, path, problems)
		}
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node.Tag == "!!null" || t.Implements(unmarshaler) || reflect.PointerTo(t).Implements(unmarshaler) {
		return
	}
	bad := func(format string, args ...any) {
		*problems = append(*problems, fmt.Errorf("line %d: %s: %s", node.Line, name(path), fmt.Sprintf(format, args...)))
	}
	switch t.Kind() {
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			bad("want a mapping of %s, not %s", strings.Join(keys(t), ", "), shape(node))
			return
		}
		fields := fieldsOf(t)
		for i := 0; i+1 < len(node.Content); i += 2 {
			key, value := node.Content[i], node.Content[i+1]
			if key.Value == "<<" {
				continue
			}
			f, ok := fields[key.Value]
			if !ok {
				*problems = append(*problems, unknownKey(key, path, t))
				continue
			}
			walk(value, f, join(path, key.Value), problems)
		}
	case reflect.Map:
		if node.Kind != yaml.MappingNode {
			bad("want a mapping, not %s", shape(node))
			return
		}
		for i := 0; i+1 < len(node.Content); i += 2 {
			walk(node.Content[i+1], t.Elem(), join(path, node.Content[i].Value), problems)
		}
	case reflect.Slice, reflect.Array:
		if node.Kind != yaml.SequenceNode {
			bad("want a list, not %s", shape(node))
			return
		}
		for i, item := range node.Content {
			walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), problems)
		}
	case reflect.Interface:
	default:
		if node.Kind != yaml.ScalarNode {
			bad("want %s, not %s", kindName(t), shape(node))
			return
		}
		switch {
		case !scalarFits(node.Value, t):
			bad("%q is not %s", node.Value, kindName(t))
		case node.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 && t.Kind() != reflect.String &&
			t != reflect.TypeFor[time.Duration]():
			// "60" reads as text: the decoder would refuse it, naming
			// neither the key nor why.
			bad("%q is text, in quotes: want %s, without them", node.Value, kindName(t))
		}
	}
}

// unknownKey names a key that is not a field of t, the known key nearest
// to it, and all of t's keys.
func unknownKey(key *yaml.Node, path string, t reflect.Type) error {
	known := keys(t)
	return unknownKeyError{fmt.Errorf("line %d: %s: unknown key %q%s (the keys here: %s)",
		key.Line, name(path), key.Value, hint.DidYouMean(key.Value, known), strings.Join(known, ", "))}
}

// fieldsOf maps each YAML key of struct t to its field's type, inline
// structs' keys included.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case tag == "-":
			continue
		case slices.Contains(strings.Split(opts, ","), "inline") && f.Type.Kind() == reflect.Struct:
			for k, v := range fieldsOf(f.Type) {
				fields[k] = v
			}
			continue
		case tag == "":
			tag = strings.ToLower(f.Name)
		}
		fields[tag] = f.Type
	}
	return fields
}

// keys lists t's YAML keys in the order its fields are declared.
func keys(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case tag == "-":
		case slices.Contains(strings.Split(opts, ","), "inline") && f.Type.Kind() == reflect.Struct:
			names = append(names, keys(f.Type)...)
		case tag == "":
			names = append(names, strings.ToLower(f.Name))
		default:
			names = append(names, tag)
		}
	}
	return names
}

func scalarFits(value string, t reflect.Type) bool {
	var err error
	if t == reflect.TypeFor[time.Duration]() {
		_, err = time.ParseDuration(value)
		return err == nil
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		_, err = strconv.ParseInt(strings.ReplaceAll(value, "_", ""), 0, t.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		_, err = strconv.ParseUint(strings.ReplaceAll(value, "_", ""), 0, t.Bits())
	case reflect.Float32, reflect.Float64:
		_, err = strconv.ParseFloat(strings.ReplaceAll(value, "_", ""), t.Bits())
	case reflect.Bool:
		_, err = strconv.ParseBool(value)
		if slices.Contains([]string{"yes", "no", "on", "off", "y", "n"}, strings.ToLower(value)) {
			err = nil
		}
	}
	return err == nil
}

func kindName(t reflect.Type) string {
	if t == reflect.TypeFor[time.Duration]() {
		return "a duration such as 90s or 5m"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	}
	return "a value"
}

func shape(node *yaml.Node) string {
	switch node.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("the value %q", node.Value)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// name is path as an error names it: the top of the file has none.
func name(path string) string {
	if path == "" {
		return "top level"
	}
	return path
}

var typeLine = regexp.MustCompile(`^line (\d+): cannot unmarshal !!(\w+) ` + "`" + `(.*)` + "`" + ` into (.+)$`)

// typeErrors rewrites the decoder's type errors that the walk could not
// foresee (a type of its own, say) without the decoder's Go type names
// where it can.
func typeErrors(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	problems := make([]error, 0, len(te.Errors))
	for _, e := range te.Errors {
		if m := typeLine.FindStringSubmatch(e); m != nil {
			e = fmt.Sprintf("line %s: %q is not a valid value here", m[1], m[3])
		}
		problems = append(problems, errors.New(e))
	}
	return errors.Join(problems...)
}

// DecodeNode decodes node, a part of a file already read, into v, a
// pointer to a struct, checking every key and shape as Decode does; path
// is node's place in the file (systems.bng.settings), which every error
// names with its line. v is decoded into only when every key is known.
func DecodeNode(node *yaml.Node, path string, v any) error {
	var problems []error
	walk(node, reflect.TypeOf(v), path, &problems)
	if len(problems) > 0 {
		return errors.Join(problems...)
	}
	if err := node.Decode(v); err != nil {
		return typeErrors(err)
	}
	return nil
}

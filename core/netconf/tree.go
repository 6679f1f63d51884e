package netconf

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// Node is an element of configuration as NETCONF carries it: inside
// <config>, <data> or a subtree <filter>. A node with no child element is a
// leaf and holds Text. A node with a "name" child (or, failing that, an
// "index" child) is a list entry, identified by that key; any other node is
// a container. That is how far the product reads a data model; it knows no
// YANG schema.
type Node struct {
	Name xml.Name
	// Op is the node's NETCONF operation attribute (merge, replace, create,
	// delete, remove), "" when it has none.
	Op string
	// Prefixes are the namespace prefixes the node declares (xmlns:p),
	// kept so that identity values such as "bbf-xponift:v-ani" stay
	// readable when the node is written again.
	Prefixes []xml.Attr
	Text     string
	Children []*Node
}

// Edit operations (RFC 6241 §7.2).
const (
	OpMerge   = "merge"
	OpReplace = "replace"
	OpCreate  = "create"
	OpDelete  = "delete"
	OpRemove  = "remove"
)

// ParseTree reads a sequence of elements (the content of <config> or
// <data>).
func ParseTree(b []byte) ([]*Node, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var top []*Node
	var stack []*Node
	// texts[i] gathers the text of stack[i]. Text arrives in as many
	// pieces as comments, CDATA sections and child elements cut it
	// into; appending each piece to a string copied all that came
	// before, and a peer's reply of a few hundred kilobytes cut into
	// pieces took seconds, its 16 MiB hours.
	var texts [][]byte
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("configuration XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !nameStart(t.Name.Local) {
				// <f:3/> reads as an XML name, and its local part as none
				// of its own: written with its namespace, <3 xmlns="f">
				// would not read back.
				return nil, fmt.Errorf("configuration XML: <%s:%s>: the name after a prefix begins with a letter or _", t.Name.Space, t.Name.Local)
			}
			n := &Node{Name: t.Name}
			for _, a := range t.Attr {
				switch {
				case a.Name.Local == "operation" && (a.Name.Space == Namespace || a.Name.Space == "nc"):
					switch a.Value {
					case OpMerge, OpReplace, OpCreate, OpDelete, OpRemove:
						n.Op = a.Value
					default:
						return nil, fmt.Errorf("configuration XML: <%s> has operation %q", t.Name.Local, a.Value)
					}
				case a.Name.Space == "xmlns" && a.Value != Namespace: // NETCONF's own is for the operation only
					n.Prefixes = append(n.Prefixes, a)
				}
			}
			if len(stack) == 0 {
				top = append(top, n)
			} else {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
				texts[len(texts)-1] = nil // a node with children holds no text
			}
			stack = append(stack, n)
			texts = append(texts, nil)
		case xml.EndElement:
			n := stack[len(stack)-1]
			if n.Leaf() {
				n.Text = string(bytes.TrimSpace(texts[len(texts)-1]))
			}
			stack, texts = stack[:len(stack)-1], texts[:len(texts)-1]
		case xml.CharData:
			if len(stack) > 0 {
				if n := stack[len(stack)-1]; n.Leaf() {
					texts[len(texts)-1] = append(texts[len(texts)-1], t...)
				}
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, fmt.Errorf("configuration XML: text %q outside any element", bytes.TrimSpace(t))
			}
		}
	}
	return top, nil
}

// Leaf reports whether n is a leaf.
func (n *Node) Leaf() bool { return len(n.Children) == 0 }

// Child is n's first child called local, or nil.
func (n *Node) Child(local string) *Node {
	for _, c := range n.Children {
		if c.Name.Local == local {
			return c
		}
	}
	return nil
}

// Key is what identifies n among its siblings of the same name: its
// "name" or "index" child's text, or "" for a container or a leaf.
func (n *Node) Key() string {
	for _, k := range []string{"name", "index"} {
		if c := n.Child(k); c != nil && c.Leaf() {
			return k + "=" + c.Text
		}
	}
	return ""
}

// same reports whether a and b are the same node of a tree: the same
// element and the same key.
func same(a, b *Node) bool { return a.Name == b.Name && a.Key() == b.Key() }

// Path names n for errors: /interfaces/interface[name=x].
func path(parent string, n *Node) string {
	p := parent + "/" + n.Name.Local
	if k := n.Key(); k != "" {
		p += "[" + k + "]"
	}
	return p
}

// Clone copies a tree.
func Clone(ns []*Node) []*Node {
	out := make([]*Node, len(ns))
	for i, n := range ns {
		c := *n
		c.Op = ""
		c.Prefixes = append([]xml.Attr(nil), n.Prefixes...)
		c.Children = Clone(n.Children)
		out[i] = &c
	}
	return out
}

// Marshal writes a tree as XML, each top-level element with its namespace.
func Marshal(ns []*Node) []byte {
	var b bytes.Buffer
	for _, n := range ns {
		write(&b, n, "")
	}
	return b.Bytes()
}

func write(b *bytes.Buffer, n *Node, space string) {
	b.WriteString("<" + n.Name.Local)
	if n.Name.Space != space {
		b.WriteString(` xmlns="`)
		xml.EscapeText(b, []byte(n.Name.Space))
		b.WriteString(`"`)
	}
	for _, p := range n.Prefixes {
		b.WriteString(" xmlns:" + p.Name.Local + `="`)
		xml.EscapeText(b, []byte(p.Value))
		b.WriteString(`"`)
	}
	b.WriteString(">")
	if n.Leaf() {
		xml.EscapeText(b, []byte(n.Text))
	}
	for _, c := range n.Children {
		write(b, c, n.Name.Space)
	}
	b.WriteString("</" + n.Name.Local + ">")
}

// Missing returns the path of the first node of want that have lacks (or
// holds with another value), or "" when have holds all of want: how a
// read-back is checked against what was configured.
func Missing(have, want []*Node) string { return missing("", have, want) }

func missing(at string, have, want []*Node) string {
	for _, w := range want {
		var h *Node
		for _, c := range have {
			if same(c, w) {
				h = c
				break
			}
		}
		p := path(at, w)
		switch {
		case h == nil:
			return p
		case w.Leaf() && h.Leaf() && h.Text != w.Text:
			return fmt.Sprintf("%s (%q, not %q)", p, h.Text, w.Text)
		case !w.Leaf():
			if m := missing(p, h.Children, w.Children); m != "" {
				return m
			}
		}
	}
	return ""
}

// Apply edits a datastore's tree with an edit-config's content (RFC 6241
// §7.2), with default operation merge, and returns the new tree; the old
// one is left as it was. A create of something that exists fails with
// data-exists, a delete of something absent with data-missing.
func Apply(store, edit []*Node) ([]*Node, *Error) {
	out := Clone(store)
	out, err := apply("", out, edit, OpMerge)
	return out, err
}

func apply(at string, have, edit []*Node, inherited string) ([]*Node, *Error) {
	for _, e := range edit {
		op := inherited
		if e.Op != "" {
			op = e.Op
		}
		i := -1
		for j, h := range have {
			if same(h, e) {
				i = j
				break
			}
		}
		p := path(at, e)
		switch op {
		case OpCreate:
			if i >= 0 {
				return nil, &Error{Type: "application", Tag: DataExists, Path: p, Message: p + " already exists"}
			}
			have = append(have, Clone([]*Node{e})...)
		case OpDelete, OpRemove:
			if i < 0 {
				if op == OpDelete {
					return nil, &Error{Type: "application", Tag: DataMissing, Path: p, Message: p + " does not exist"}
				}
				continue
			}
			have = append(have[:i], have[i+1:]...)
		case OpReplace:
			n := Clone([]*Node{e})[0]
			if i >= 0 {
				have[i] = n
			} else {
				have = append(have, n)
			}
		default: // merge
			if i < 0 {
				n := Clone([]*Node{e})[0]
				n.Children = nil
				have = append(have, n)
				i = len(have) - 1
			}
			h := have[i]
			if e.Leaf() {
				h.Text, h.Children = e.Text, nil
				continue
			}
			h.Prefixes = mergePrefixes(h.Prefixes, e.Prefixes)
			var err *Error
			if h.Children, err = apply(p, h.Children, e.Children, op); err != nil {
				return nil, err
			}
		}
	}
	return have, nil
}

func mergePrefixes(have, add []xml.Attr) []xml.Attr {
	for _, a := range add {
		found := false
		for _, h := range have {
			found = found || h.Name.Local == a.Name.Local
		}
		if !found {
			have = append(have, a)
		}
	}
	return have
}

// Filter selects from a tree what a subtree filter asks for (RFC 6241
// §6): an empty element selects the whole subtree, an element with text
// is a content match its siblings are selected by, an element with
// children selects within. A nil filter selects everything.
func Filter(tree, filter []*Node) []*Node {
	if filter == nil {
		return Clone(tree)
	}
	var out []*Node
	for _, f := range filter {
		for _, n := range tree {
			if n.Name != f.Name {
				continue
			}
			if sel := selectNode(n, f); sel != nil {
				out = append(out, sel)
			}
		}
	}
	return out
}

func selectNode(n, f *Node) *Node {
	if f.Leaf() {
		if f.Text != "" && (!n.Leaf() || n.Text != f.Text) {
			return nil
		}
		return Clone([]*Node{n})[0]
	}
	// Content matches first: every one must hold.
	var rest []*Node
	for _, c := range f.Children {
		if c.Leaf() && c.Text != "" {
			m := n.Child(c.Name.Local)
			if m == nil || m.Text != c.Text {
				return nil
			}
			continue
		}
		rest = append(rest, c)
	}
	out := &Node{Name: n.Name, Prefixes: n.Prefixes}
	if len(rest) == 0 {
		return Clone([]*Node{n})[0]
	}
	for _, c := range n.Children {
		for _, fc := range f.Children {
			if fc.Name != c.Name {
				continue
			}
			if fc.Leaf() && fc.Text != "" { // a content match node is selected too
				out.Children = append(out.Children, Clone([]*Node{c})...)
				break
			}
			if sel := selectNode(c, fc); sel != nil {
				out.Children = append(out.Children, sel)
				break
			}
		}
	}
	return out
}

// nameStart says whether local, the part of an element's name after its
// prefix, begins as an XML name does.
func nameStart(local string) bool {
	r, _ := utf8.DecodeRuneInString(local)
	return r == '_' || unicode.IsLetter(r)
}

package tmf630

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// What a request may carry (docs/api.md, "Limits"). A request over a
// limit is refused whole, with a TMF Error naming the field and the
// limit, and changes nothing.
const (
	// MaxBody is the largest request body (1 MiB): a larger one is
	// refused with 413 before it is read whole.
	MaxBody = 1 << 20
	// MaxDepth is how deep objects and arrays may nest in a body.
	MaxDepth = 32
	// MaxArray is the most elements an array may hold: items of an order,
	// sites of a quote, characteristics of an item.
	MaxArray = 1000
	// MaxText is the longest string value in bytes: a description, a note.
	MaxText = 8 << 10
	// MaxName is the longest identifier in bytes: an id, a name, an
	// externalId, a member name, an Idempotency-Key.
	MaxName = 256
	// DefaultPage is how many entities a list answers when the request
	// sets no limit; MaxPage the most it answers whatever the limit.
	DefaultPage = 100
	MaxPage     = 1000
)

// identifiers are the members whose strings name something: they are held
// to MaxName and may hold no control or bidirectional formatting
// character at all. So is every member whose name ends in "Id".
var identifiers = map[string]bool{
	"id": true, "name": true, "externalId": true, "href": true, "@type": true, "@baseType": true,
	"@referredType": true, "@schemaLocation": true, "role": true, "code": true, "state": true, "action": true,
	"valueType": true, "eventType": true,
}

func isIdentifier(member []byte) bool {
	return identifiers[string(member)] || bytes.HasSuffix(member, []byte("Id")) || bytes.HasSuffix(member, []byte("ID"))
}

// CheckJSON checks a request body against the limits: valid UTF-8,
// nesting, array lengths, string lengths and characters. It reads the
// body once, byte by byte, and allocates only for the strings that hold
// escapes. It does not check that the body is well-formed JSON: where it
// is not, it stops and leaves the decoders to say where.
func CheckJSON(body []byte) *Error {
	if !utf8.Valid(body) {
		at := 0
		for at < len(body) {
			r, n := utf8.DecodeRune(body[at:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			at += n
		}
		return NewError(http.StatusBadRequest, fmt.Sprintf("the body is not valid UTF-8 (byte %d)", at))
	}
	var w jsonWalk
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case ' ', '\t', '\n', '\r', ':':
		case ',':
			if len(w.open) > 0 && w.open[len(w.open)-1].object {
				w.open[len(w.open)-1].key = true
			}
		case '{', '[':
			if e := w.element(); e != nil {
				return e
			}
			if len(w.open) == MaxDepth {
				return NewError(http.StatusBadRequest, fmt.Sprintf("%s: nests deeper than %d levels", w.path(), MaxDepth))
			}
			w.open = append(w.open, container{object: c == '{', key: c == '{'})
		case '}', ']':
			if len(w.open) == 0 {
				return nil
			}
			w.open = w.open[:len(w.open)-1]
		case '"':
			s, end, ok := jsonString(body, i)
			if !ok {
				return nil
			}
			i = end
			if e := w.text(s); e != nil {
				return e
			}
		default: // a number, true, false or null
			if e := w.element(); e != nil {
				return e
			}
			for i+1 < len(body) && !strings.ContainsRune(" \t\n\r,:]}", rune(body[i+1])) {
				i++
			}
		}
	}
	return nil
}

// jsonString reads the string whose opening quote is at body[at]: its
// value, where its closing quote is, and whether it is a string at all.
// Without escapes the value is body's own bytes.
func jsonString(body []byte, at int) ([]byte, int, bool) {
	i := at + 1
	for i < len(body) && body[i] != '"' && body[i] != '\\' {
		i++
	}
	if i < len(body) && body[i] == '"' {
		return body[at+1 : i], i, true
	}
	b := bytes.NewBuffer(make([]byte, 0, 2*(i-at)))
	b.Write(body[at+1 : i])
	for i < len(body) {
		switch c := body[i]; c {
		case '"':
			return b.Bytes(), i, true
		case '\\':
			if i+1 >= len(body) {
				return nil, 0, false
			}
			i++
			switch e := body[i]; e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, n := jsonEscape(body[i+1:])
				if n == 0 {
					return nil, 0, false
				}
				b.WriteRune(r)
				i += n
			default:
				return nil, 0, false
			}
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return nil, 0, false
}

// jsonEscape reads the hex digits of a \u escape (and of the low half of a
// surrogate pair that follows): the rune and how many bytes it took, 0
// when they are not hex.
func jsonEscape(b []byte) (rune, int) {
	hex := func(b []byte) (rune, bool) {
		if len(b) < 4 {
			return 0, false
		}
		n, err := strconv.ParseUint(string(b[:4]), 16, 16)
		return rune(n), err == nil
	}
	r, ok := hex(b)
	if !ok {
		return 0, 0
	}
	if utf16.IsSurrogate(r) && len(b) >= 10 && b[4] == '\\' && b[5] == 'u' {
		if lo, ok := hex(b[6:]); ok {
			if pair := utf16.DecodeRune(r, lo); pair != utf8.RuneError {
				return pair, 10
			}
		}
	}
	return r, 4
}

// jsonWalk follows a body: where it is (the path of members and indexes)
// and what each open container has seen so far.
type jsonWalk struct {
	open []container
}

type container struct {
	object bool
	member []byte // the member being read, in an object
	key    bool   // the next string is a member name
	n      int    // elements (array) or members (object) so far
}

// text takes a string: a member name, or a value.
func (w *jsonWalk) text(s []byte) *Error {
	if len(w.open) > 0 {
		if c := &w.open[len(w.open)-1]; c.object && c.key {
			c.member, c.key = s, false
			c.n++
			return checkString(w, s, true)
		}
	}
	if e := w.element(); e != nil {
		return e
	}
	var member []byte
	if len(w.open) > 0 {
		member = w.open[len(w.open)-1].member
	}
	return checkString(w, s, isIdentifier(member))
}

// element counts a value in the open container: an array's next element
// (no more than MaxArray), or an object member's value.
func (w *jsonWalk) element() *Error {
	if len(w.open) == 0 {
		return nil
	}
	c := &w.open[len(w.open)-1]
	if c.object {
		return nil
	}
	if c.n++; c.n > MaxArray {
		return NewError(http.StatusBadRequest, fmt.Sprintf("%s: more than %d elements", w.path(), MaxArray))
	}
	return nil
}

// path names where the walk is: "productOrderItem[3].product.name".
func (w *jsonWalk) path() string {
	var b strings.Builder
	for _, c := range w.open {
		if c.object {
			if c.member == nil {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.Write(c.member)
			continue
		}
		b.WriteString("[" + strconv.Itoa(max(c.n-1, 0)) + "]")
	}
	if b.Len() == 0 {
		return "the body"
	}
	return b.String()
}

// checkString checks a string at path: an identifier (or member name) is
// at most MaxName bytes with no control or bidirectional formatting
// character; any other string at most MaxText bytes with no control
// character but tab, line feed and carriage return.
func checkString(w *jsonWalk, s []byte, identifier bool) *Error {
	limit, what := MaxText, "text"
	if identifier {
		limit, what = MaxName, "an identifier"
	}
	if len(s) > limit {
		return NewError(http.StatusBadRequest, fmt.Sprintf("%s: %d bytes, longer than %d (%s)", w.path(), len(s), limit, what))
	}
	for i := 0; i < len(s); {
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(s[i:])
		}
		if forbidden(r) || identifier && (r == '\t' || r == '\n' || r == '\r' || bidiControl(r)) {
			return NewError(http.StatusBadRequest, fmt.Sprintf("%s: control character %U at byte %d", w.path(), r, i))
		}
		i += n
	}
	return nil
}

// forbidden is a control character no string may hold: C0 and C1
// controls but tab, line feed and carriage return, and DEL.
func forbidden(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r <= 0x9f)
}

// bidiControl is a bidirectional embedding, override or isolate, which
// makes an identifier read differently from what it is.
func bidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// CheckRequest checks what every request carries before it is routed: a
// well-formed query string and an Idempotency-Key within the limits.
func CheckRequest(r *http.Request) *Error {
	if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
		return NewError(http.StatusBadRequest, "the query string: "+err.Error())
	}
	if k, ok := r.Header["Idempotency-Key"]; ok {
		if len(k) != 1 {
			return NewError(http.StatusBadRequest, fmt.Sprintf("Idempotency-Key: given %d times", len(k)))
		}
		if len(k[0]) == 0 || len(k[0]) > MaxName {
			return NewError(http.StatusBadRequest, fmt.Sprintf("Idempotency-Key: %d bytes; want 1 to %d", len(k[0]), MaxName))
		}
		for i := 0; i < len(k[0]); i++ {
			if c := k[0][i]; c < 0x21 || c > 0x7e {
				return NewError(http.StatusBadRequest, fmt.Sprintf("Idempotency-Key: byte %d is not a printable ASCII character", i))
			}
		}
	}
	return nil
}

// MediaType checks a body's Content-Type: application/json, or for PATCH
// application/merge-patch+json too (a JSON Merge Patch either way).
func MediaType(r *http.Request) *Error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return NewError(http.StatusUnsupportedMediaType, "Content-Type: missing; want application/json")
	}
	mt, params, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(strings.ToLower(mt))
	ok := mt == "application/json" || r.Method == http.MethodPatch && mt == "application/merge-patch+json"
	if !ok {
		want := "application/json"
		if r.Method == http.MethodPatch {
			want += " or application/merge-patch+json"
		}
		return NewError(http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q: want %s", ct, want))
	}
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "charset") && !strings.EqualFold(strings.Trim(v, `"`), "utf-8") {
			return NewError(http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q: want charset utf-8", ct))
		}
	}
	return nil
}

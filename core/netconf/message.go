package netconf

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
)

// Namespace is the NETCONF base namespace (RFC 6241).
const Namespace = "urn:ietf:params:xml:ns:netconf:base:1.0"

// Capabilities the product speaks (RFC 6241 §8).
const (
	Base10          = "urn:ietf:params:netconf:base:1.0"
	Base11          = "urn:ietf:params:netconf:base:1.1"
	Candidate       = "urn:ietf:params:netconf:capability:candidate:1.0"
	ConfirmedCommit = "urn:ietf:params:netconf:capability:confirmed-commit:1.1"
	Validate        = "urn:ietf:params:netconf:capability:validate:1.1"
)

// Hello is the message each side sends first (RFC 6241 §8.1).
type Hello struct {
	XMLName      xml.Name `xml:"urn:ietf:params:xml:ns:netconf:base:1.0 hello"`
	Capabilities []string `xml:"capabilities>capability"`
	SessionID    uint32   `xml:"session-id,omitempty"`
}

// Marshal encodes the hello.
func (h *Hello) Marshal() []byte {
	b, err := xml.Marshal(h)
	if err != nil {
		panic(fmt.Sprintf("netconf: hello does not encode: %v", err)) // only strings and a number
	}
	return append([]byte(xml.Header), b...)
}

// ParseHello decodes a peer's hello.
func ParseHello(msg []byte) (*Hello, error) {
	var h Hello
	if err := xml.Unmarshal(msg, &h); err != nil {
		return nil, fmt.Errorf("netconf hello: %w", err)
	}
	if len(h.Capabilities) == 0 {
		return nil, fmt.Errorf("netconf hello: no capabilities")
	}
	return &h, nil
}

// Has reports whether the hello offers capability c (parameters after
// "?" ignored).
func (h *Hello) Has(c string) bool {
	return slices.ContainsFunc(h.Capabilities, func(s string) bool {
		s, _, _ = strings.Cut(strings.TrimSpace(s), "?")
		return s == c
	})
}

// Error is one rpc-error (RFC 6241 §4.3).
type Error struct {
	Type     string `xml:"error-type"`
	Tag      string `xml:"error-tag"`
	Severity string `xml:"error-severity"`
	AppTag   string `xml:"error-app-tag,omitempty"`
	Path     string `xml:"error-path,omitempty"`
	Message  string `xml:"error-message,omitempty"`
	Info     *Info  `xml:"error-info,omitempty"`
}

// Info is an rpc-error's error-info, as far as the product reads it.
type Info struct {
	SessionID uint32 `xml:"session-id,omitempty"`
	BadElem   string `xml:"bad-element,omitempty"`
}

// Error tags the product raises or branches on (RFC 6241 appendix A).
const (
	InUse           = "in-use"
	InvalidValue    = "invalid-value"
	TooBig          = "too-big"
	MissingAttr     = "missing-attribute"
	BadAttr         = "bad-attribute"
	UnknownAttr     = "unknown-attribute"
	MissingElem     = "missing-element"
	BadElem         = "bad-element"
	UnknownElem     = "unknown-element"
	UnknownNS       = "unknown-namespace"
	AccessDenied    = "access-denied"
	LockDenied      = "lock-denied"
	ResourceDenied  = "resource-denied"
	RollbackFailed  = "rollback-failed"
	DataExists      = "data-exists"
	DataMissing     = "data-missing"
	NotSupported    = "operation-not-supported"
	OperationFailed = "operation-failed"
	PartialOp       = "partial-operation"
	MalformedMsg    = "malformed-message"
)

func (e *Error) Error() string {
	s := "rpc-error " + e.Tag
	if e.Path != "" {
		s += " at " + e.Path
	}
	if e.Message != "" {
		s += ": " + strings.TrimSpace(e.Message)
	}
	return s
}

// Errors is a reply's rpc-errors; it is an error when one has severity
// error (warnings alone are not).
type Errors []Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i := range es {
		msgs[i] = es[i].Error()
	}
	return strings.Join(msgs, "; ")
}

// Reply is an rpc-reply (RFC 6241 §4.2).
type Reply struct {
	XMLName   xml.Name  `xml:"urn:ietf:params:xml:ns:netconf:base:1.0 rpc-reply"`
	MessageID string    `xml:"message-id,attr"`
	OK        *struct{} `xml:"ok"`
	Errors    Errors    `xml:"rpc-error"`
	// Data is the inner XML of <data> (get-config), as the peer sent it.
	Data *struct {
		Inner []byte `xml:",innerxml"`
	} `xml:"data"`
}

// ParseReply decodes an rpc-reply.
func ParseReply(msg []byte) (*Reply, error) {
	var r Reply
	if err := xml.Unmarshal(msg, &r); err != nil {
		return nil, fmt.Errorf("netconf rpc-reply: %w", err)
	}
	return &r, nil
}

// Err is the reply's failure: its rpc-errors of severity error, or nil.
func (r *Reply) Err() error {
	var errs Errors
	for _, e := range r.Errors {
		if e.Severity != "warning" {
			errs = append(errs, e)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	if len(errs) == 1 {
		return &errs[0]
	}
	return errs
}

// ReplyOK encodes <ok/> for message id.
func ReplyOK(id string) []byte {
	return reply(id, []byte("<ok/>"))
}

// ReplyData encodes <data> holding inner for message id.
func ReplyData(id string, inner []byte) []byte {
	b := append([]byte("<data>"), inner...)
	return reply(id, append(b, "</data>"...))
}

// ReplyError encodes rpc-errors for message id.
func ReplyError(id string, errs ...Error) []byte {
	var b bytes.Buffer
	for i := range errs {
		e := errs[i]
		if e.Severity == "" {
			e.Severity = "error"
		}
		x, err := xml.Marshal(struct {
			XMLName xml.Name `xml:"rpc-error"`
			*Error
		}{Error: &e})
		if err != nil {
			panic(fmt.Sprintf("netconf: rpc-error does not encode: %v", err)) // strings only
		}
		b.Write(x)
	}
	return reply(id, b.Bytes())
}

func reply(id string, body []byte) []byte {
	var b bytes.Buffer
	b.WriteString(`<rpc-reply xmlns="` + Namespace + `" message-id="`)
	xml.EscapeText(&b, []byte(id))
	b.WriteString(`">`)
	b.Write(body)
	b.WriteString(`</rpc-reply>`)
	return b.Bytes()
}

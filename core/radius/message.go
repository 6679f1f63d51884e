package radius

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"layeh.com/radius"
)

// Attribute types the protocol itself needs.
const (
	typeVendorSpecific       = 26
	typeMessageAuthenticator = 80
)

// Attr is one attribute: its dictionary name and its value as text — a
// string as it is, an integer by its VALUE name (or in decimal), an
// address dotted, octets as 0x and hex.
type Attr struct {
	Name  string
	Value string
}

// Attribute names used by the BNG adapter and the twin's server.
const (
	UserName             = "User-Name"
	NASIdentifier        = "NAS-Identifier"
	NASPortID            = "NAS-Port-Id"
	AcctSessionID        = "Acct-Session-Id"
	ReplyMessage         = "Reply-Message"
	ErrorCause           = "Error-Cause"
	MessageAuthenticator = "Message-Authenticator"
	CiscoAVPair          = "Cisco-AVPair"
)

// Errors of a packet that fails its checks.
var (
	ErrAuthenticator          = errors.New("the packet's authenticator does not match the shared secret")
	ErrMessageAuthenticator   = errors.New("the Message-Authenticator does not match the shared secret")
	ErrNoMessageAuthenticator = errors.New("the packet has no Message-Authenticator")
)

// NewPacket builds a packet of code with identifier id from attrs, for
// secret. A Message-Authenticator among attrs is left out: Encode adds it.
func NewPacket(code radius.Code, id byte, secret []byte, attrs []Attr) (*radius.Packet, error) {
	p := &radius.Packet{Code: code, Identifier: id, Secret: secret}
	for _, a := range attrs {
		if a.Name == MessageAuthenticator {
			continue
		}
		if err := add(p, a); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// add encodes one attribute into p.
func add(p *radius.Packet, a Attr) error {
	def, ok := dict.byName[a.Name]
	if !ok {
		return fmt.Errorf("attribute %s is not in the dictionary", a.Name)
	}
	var v []byte
	switch def.kind {
	case kindString:
		v = []byte(a.Value)
	case kindInteger:
		n, ok := def.byName[a.Value]
		if !ok {
			u, err := strconv.ParseUint(a.Value, 10, 32)
			if err != nil {
				return fmt.Errorf("attribute %s: %q is neither a number nor a named value", a.Name, a.Value)
			}
			n = uint32(u)
		}
		v = binary.BigEndian.AppendUint32(nil, n)
	case kindIPAddr:
		ip := net.ParseIP(a.Value).To4()
		if ip == nil {
			return fmt.Errorf("attribute %s: %q is not an IPv4 address", a.Name, a.Value)
		}
		v = ip
	case kindOctets:
		b, err := hex.DecodeString(strings.TrimPrefix(a.Value, "0x"))
		if err != nil {
			return fmt.Errorf("attribute %s: %q is not 0x and hex", a.Name, a.Value)
		}
		v = b
	}
	if len(v) == 0 || len(v) > 247 {
		return fmt.Errorf("attribute %s: a value of %d bytes does not fit", a.Name, len(v))
	}
	if def.vendor == 0 {
		p.Add(radius.Type(def.typ), v)
		return nil
	}
	vsa, err := radius.NewVendorSpecific(def.vendor, append([]byte{def.typ, byte(len(v) + 2)}, v...))
	if err != nil {
		return fmt.Errorf("attribute %s: %w", a.Name, err)
	}
	p.Add(typeVendorSpecific, vsa)
	return nil
}

// AttrsOf reads p's attributes by the dictionary, in wire order. One not
// in it reads as Attr-<type> (Vendor-<id>-Attr-<type> for a vendor's) with
// its value in hex.
func AttrsOf(p *radius.Packet) []Attr {
	var out []Attr
	for _, avp := range p.Attributes {
		if avp.Type == typeVendorSpecific {
			vendor, v, err := radius.VendorSpecific(avp.Attribute)
			if err == nil && len(v) >= 2 && int(v[1]) == len(v) {
				out = append(out, decode(vendor, uint32(v[0]), v[2:]))
				continue
			}
		}
		out = append(out, decode(0, uint32(avp.Type), avp.Attribute))
	}
	return out
}

func decode(vendor, typ uint32, v []byte) Attr {
	def, ok := dict.byType[[2]uint32{vendor, typ}]
	if !ok {
		name := fmt.Sprintf("Attr-%d", typ)
		if vendor != 0 {
			name = fmt.Sprintf("Vendor-%d-Attr-%d", vendor, typ)
		}
		return Attr{Name: name, Value: "0x" + hex.EncodeToString(v)}
	}
	a := Attr{Name: def.name, Value: "0x" + hex.EncodeToString(v)}
	switch {
	case def.kind == kindString:
		a.Value = string(v)
	case def.kind == kindInteger && len(v) == 4:
		n := binary.BigEndian.Uint32(v)
		a.Value = strconv.FormatUint(uint64(n), 10)
		if name, ok := def.values[n]; ok {
			a.Value = name
		}
	case def.kind == kindIPAddr && len(v) == 4:
		a.Value = net.IP(v).String()
	}
	return a
}

// Get is the value of the first attribute named name, and whether there
// is one.
func Get(attrs []Attr, name string) (string, bool) {
	for _, a := range attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// Render writes attrs as radclient reads them: one "Name = value" a line,
// strings quoted, and the Message-Authenticator as 0x00, which radclient
// fills in.
func Render(attrs []Attr) string {
	var b strings.Builder
	for _, a := range attrs {
		v := a.Value
		switch def := dict.byName[a.Name]; {
		case a.Name == MessageAuthenticator:
			v = "0x00"
		case def != nil && def.kind == kindString:
			v = strconv.Quote(v)
		}
		fmt.Fprintf(&b, "%s = %s\n", a.Name, v)
	}
	return b.String()
}

// Encode signs p and gives its bytes: a Message-Authenticator is added
// (as the last attribute) and computed, then the packet's authenticator.
// For a request (CoA-Request, Disconnect-Request) both are computed over
// a zero Request Authenticator; for an answer p.Authenticator must hold the
// request's authenticator, as radius.Packet.Response leaves it.
func Encode(p *radius.Packet) ([]byte, error) {
	q := *p
	q.Attributes = append(radius.Attributes(nil), p.Attributes...)
	q.Attributes.Del(typeMessageAuthenticator)
	q.Add(typeMessageAuthenticator, make([]byte, md5.Size))
	if isRequest(q.Code) {
		q.Authenticator = [16]byte{}
	}
	b, err := q.MarshalBinary()
	if err != nil {
		return nil, err
	}
	mac := hmac.New(md5.New, q.Secret)
	mac.Write(b)
	q.Attributes[len(q.Attributes)-1].Attribute = mac.Sum(nil)
	return q.Encode()
}

func isRequest(c radius.Code) bool {
	return c == radius.CodeCoARequest || c == radius.CodeDisconnectRequest
}

// VerifyRequest checks a CoA-Request or Disconnect-Request as received:
// its authenticator and its Message-Authenticator, which it must have.
func VerifyRequest(wire, secret []byte) error {
	if !radius.IsAuthenticRequest(wire, secret) {
		return ErrAuthenticator
	}
	return verifyMessageAuthenticator(wire, [16]byte{}, secret, true)
}

// VerifyAnswer checks an answer to request (both as on the wire): its
// authenticator, and its Message-Authenticator if it has one.
func VerifyAnswer(answer, request, secret []byte) error {
	if len(request) < 20 || !radius.IsAuthenticResponse(answer, request, secret) {
		return ErrAuthenticator
	}
	return verifyMessageAuthenticator(answer, [16]byte(request[4:20]), secret, false)
}

// verifyMessageAuthenticator recomputes wire's Message-Authenticator with
// auth in the authenticator field.
func verifyMessageAuthenticator(wire []byte, auth [16]byte, secret []byte, required bool) error {
	b := append([]byte(nil), wire...)
	copy(b[4:20], auth[:])
	var got []byte
	for at := 20; at+2 <= len(b); {
		n := int(b[at+1])
		if n < 2 || at+n > len(b) {
			return errors.New("radius: malformed attributes")
		}
		if b[at] == typeMessageAuthenticator && n == 2+md5.Size {
			got = append([]byte(nil), b[at+2:at+n]...)
			clear(b[at+2 : at+n])
		}
		at += n
	}
	if got == nil {
		if required {
			return ErrNoMessageAuthenticator
		}
		return nil
	}
	mac := hmac.New(md5.New, secret)
	mac.Write(b)
	if !hmac.Equal(mac.Sum(nil), got) {
		return ErrMessageAuthenticator
	}
	return nil
}

// Parse reads a packet off the wire, trimmed to its length field.
func Parse(wire, secret []byte) (*radius.Packet, []byte, error) {
	p, err := radius.Parse(wire, secret)
	if err != nil {
		return nil, nil, err
	}
	return p, wire[:binary.BigEndian.Uint16(wire[2:4])], nil
}

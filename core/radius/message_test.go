package radius

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"layeh.com/radius"
)

var coa = []Attr{{NASIdentifier, "BNG-MEL-01"}, {UserName, "CUST-ENT-1102/MELB"},
	{CiscoAVPair, "subscriber:sub-qos-policy-in=BW-500-500-GOLD-ENT"}, {MessageAuthenticator, ""}}

func TestRequestSignedAndVerified(t *testing.T) {
	secret := []byte("s3cret")
	p, err := NewPacket(radius.CodeCoARequest, 7, secret, coa)
	require.NoError(t, err)
	wire, err := Encode(p)
	require.NoError(t, err)
	require.NoError(t, VerifyRequest(wire, secret))
	assert.ErrorIs(t, VerifyRequest(wire, []byte("other")), ErrAuthenticator)

	// Sent again, the same bytes: the authenticator is computed, not random.
	again, err := Encode(p)
	require.NoError(t, err)
	assert.Equal(t, wire, again)

	got, raw, err := Parse(append(wire, 0, 0), secret) // trailing bytes past the length are not the packet
	require.NoError(t, err)
	assert.Equal(t, wire, raw)
	assert.Equal(t, Render(coa), Render(AttrsOf(got)))
	assert.Equal(t, "NAS-Identifier = \"BNG-MEL-01\"\nUser-Name = \"CUST-ENT-1102/MELB\"\n"+
		"Cisco-AVPair = \"subscriber:sub-qos-policy-in=BW-500-500-GOLD-ENT\"\nMessage-Authenticator = 0x00\n", Render(AttrsOf(got)))

	// A request without a Message-Authenticator, or with a wrong one, is refused.
	bare, err := p.Encode()
	require.NoError(t, err)
	assert.ErrorIs(t, VerifyRequest(bare, secret), ErrNoMessageAuthenticator)
	forged := append([]byte(nil), wire...)
	forged[len(forged)-1] ^= 1 // the Message-Authenticator is last
	rehashed, _, err := Parse(forged, secret)
	require.NoError(t, err)
	re, err := rehashed.Encode() // a valid authenticator over the forged Message-Authenticator
	require.NoError(t, err)
	assert.ErrorIs(t, VerifyRequest(re, secret), ErrMessageAuthenticator)
}

func TestAnswerSignedAndVerified(t *testing.T) {
	secret := []byte("s3cret")
	p, err := NewPacket(radius.CodeDisconnectRequest, 9, secret, coa[:2])
	require.NoError(t, err)
	req, err := Encode(p)
	require.NoError(t, err)
	sent, _, err := Parse(req, secret)
	require.NoError(t, err)
	nak, err := NewPacket(radius.CodeDisconnectNAK, 9, secret, []Attr{{ErrorCause, "Session-Context-Not-Found"}})
	require.NoError(t, err)
	nak.Authenticator = sent.Authenticator
	ans, err := Encode(nak)
	require.NoError(t, err)
	require.NoError(t, VerifyAnswer(ans, req, secret))
	assert.ErrorIs(t, VerifyAnswer(ans, req, []byte("other")), ErrAuthenticator)
	got, _, err := Parse(ans, secret)
	require.NoError(t, err)
	v, ok := Get(AttrsOf(got), ErrorCause)
	require.True(t, ok)
	c, ok := CauseOf(v)
	require.True(t, ok)
	assert.Equal(t, SessionContextNotFound, c)
	assert.Equal(t, "599", Cause(599).String())
	assert.Equal(t, "Resources-Unavailable", ResourcesUnavailable.String())
	c, ok = CauseOf("506")
	assert.True(t, ok)
	assert.Equal(t, ResourcesUnavailable, c)
	_, ok = CauseOf("five")
	assert.False(t, ok)
}

func TestBadAttributesNamed(t *testing.T) {
	_, err := NewPacket(radius.CodeCoARequest, 1, []byte("s"), []Attr{{"Framed-Pool", "x"}})
	assert.ErrorContains(t, err, "Framed-Pool is not in the dictionary")
	_, err = NewPacket(radius.CodeCoARequest, 1, []byte("s"), []Attr{{ErrorCause, "Sometimes"}})
	assert.ErrorContains(t, err, `"Sometimes" is neither a number nor a named value`)
	_, err = NewPacket(radius.CodeCoARequest, 1, []byte("s"), []Attr{{UserName, ""}})
	assert.ErrorContains(t, err, "User-Name: a value of 0 bytes")
	_, err = parseDictionary("ATTRIBUTE X 300 string")
	assert.ErrorContains(t, err, "line 1")
	// An attribute the dictionary lacks reads by its number.
	p := &radius.Packet{Code: radius.CodeCoARequest}
	p.Add(11, []byte{1, 2})
	assert.Equal(t, []Attr{{"Attr-11", "0x0102"}}, AttrsOf(p))
}

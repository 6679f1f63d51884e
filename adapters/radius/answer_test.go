package radius

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"layeh.com/radius"

	"github.com/ordertwin/ordertwin/core/port"
	rad "github.com/ordertwin/ordertwin/core/radius"
)

// The requests of a commit (CoA) and a release (Disconnect), as the
// adapter sends them to the BNG.
var (
	coaSent  = message{code: radius.CodeCoARequest, attrs: []rad.Attr{{Name: rad.UserName, Value: "CUST-ENT-1102@MELB"}}}
	discSent = message{code: radius.CodeDisconnectRequest, attrs: []rad.Attr{{Name: rad.UserName, Value: "CUST-ENT-1102@MELB"}}}
)

// signed is m on the wire, as the adapter sends it (Identifier 7).
func signed(t testing.TB, m message) []byte {
	p, err := rad.NewPacket(m.code, 7, []byte(secret), m.attrs)
	require.NoError(t, err)
	wire, err := rad.Encode(p)
	require.NoError(t, err)
	return wire
}

// answer is the BNG's answer to request with code and attrs, signed.
func answer(t testing.TB, request []byte, code radius.Code, attrs ...rad.Attr) []byte {
	p, err := rad.NewPacket(code, request[1], []byte(secret), attrs)
	require.NoError(t, err)
	p.Authenticator = [16]byte(request[4:20])
	wire, err := rad.Encode(p)
	require.NoError(t, err)
	return wire
}

// RFC 5176 §3: a CoA-Request is answered by a CoA-ACK or CoA-NAK, a
// Disconnect-Request by a Disconnect-ACK or Disconnect-NAK. An ACK of the
// other kind, signed or not, says nothing of what was asked: the call
// fails as unexpectedAnswer (found by FuzzAnswer).
func TestOnlyTheAckOfTheRequestsKindSucceeds(t *testing.T) {
	coa, disc := signed(t, coaSent), signed(t, discSent)
	p := &plan{bng: "BNG-MEL-01", user: "CUST-ENT-1102@MELB"}
	for _, tc := range []struct {
		op      port.Op
		sent    message
		request []byte
		code    radius.Code
		want    string // the failure's code, "" for success
	}{
		{port.Commit, coaSent, coa, radius.CodeCoAACK, ""},
		{port.Commit, coaSent, coa, radius.CodeDisconnectACK, "unexpectedAnswer"},
		{port.Commit, coaSent, coa, radius.CodeDisconnectNAK, "unexpectedAnswer"},
		{port.Release, discSent, disc, radius.CodeDisconnectACK, ""},
		{port.Release, discSent, disc, radius.CodeCoAACK, "unexpectedAnswer"},
		{port.Release, discSent, disc, radius.CodeCoANAK, "unexpectedAnswer"},
		{port.Release, discSent, disc, radius.CodeDisconnectNAK, radius.CodeDisconnectNAK.String()},
	} {
		ans, err := answerTo(tc.request, answer(t, tc.request, tc.code), []byte(secret))
		require.NoError(t, err, "a signed answer is taken")
		err = settle(tc.op, p, tc.sent, ans)
		if tc.want == "" {
			assert.NoError(t, err, "%s to %s", tc.code, tc.sent.code)
			continue
		}
		require.Error(t, err, "%s to %s", tc.code, tc.sent.code)
		assert.Equal(t, tc.want, classify(err).Code, "%s to %s", tc.code, tc.sent.code)
	}
}

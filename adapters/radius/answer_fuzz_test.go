package radius

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"layeh.com/radius"

	"github.com/ordertwin/ordertwin/core/port"
	rad "github.com/ordertwin/ordertwin/core/radius"
	"github.com/ordertwin/ordertwin/core/watchdog"
)

// resigned is got with the request's Identifier, signed as the BNG
// would sign it, if it reads as a packet at all.
func resigned(request, got []byte) ([]byte, bool) {
	p, err := radius.Parse(got, []byte(secret))
	if err != nil || requests[p.Code] {
		return nil, false
	}
	p.Identifier, p.Authenticator = request[1], [16]byte(request[4:20])
	b, err := rad.Encode(p)
	return b, err == nil
}

// requests are the codes radius.Packet.Encode signs as a request, with no
// Response Authenticator.
var requests = map[radius.Code]bool{radius.CodeAccessRequest: true, radius.CodeStatusServer: true,
	radius.CodeAccountingRequest: true, radius.CodeCoARequest: true, radius.CodeDisconnectRequest: true}

// FuzzAnswer: whatever comes back to a CoA-Request or a
// Disconnect-Request, reading it returns within bounds and never panics;
// an answer signed with the secret is taken, anything else dropped; a call
// succeeds only on the ACK of its request (or a release on a
// Disconnect-NAK saying the session is gone already), and a failure reads
// as one of the failure policy's classes.
func FuzzAnswer(f *testing.F) {
	coa, disc := signed(f, coaSent), signed(f, discSent)
	for _, seed := range []struct {
		release bool
		wire    []byte
	}{
		{false, answer(f, coa, radius.CodeCoAACK)},
		{false, answer(f, coa, radius.CodeCoANAK, rad.Attr{Name: rad.ErrorCause, Value: "Resources-Unavailable"})},
		{true, answer(f, disc, radius.CodeDisconnectACK)},
		{true, answer(f, disc, radius.CodeDisconnectNAK, rad.Attr{Name: rad.ErrorCause, Value: "Session-Context-Not-Found"})},
		{true, answer(f, disc, radius.CodeDisconnectNAK)},
		{false, answer(f, coa, radius.CodeDisconnectACK)},
		{false, coa},
		{false, []byte{44, 7, 0, 20}},
	} {
		f.Add(seed.release, false, seed.wire)
		f.Add(seed.release, true, seed.wire)
	}
	f.Fuzz(func(t *testing.T, release, resign bool, got []byte) {
		defer watchdog.Arm(2 * time.Second)()
		op, m, request := port.Commit, coaSent, coa
		if release {
			op, m, request = port.Release, discSent, disc
		}
		if resign {
			var ok bool
			if got, ok = resigned(request, got); !ok {
				return
			}
		}
		ans, err := answerTo(request, got, []byte(secret))
		if err != nil {
			require.False(t, resign, "a signed answer with the request's Identifier is taken: %v", err)
			return
		}
		p := &plan{bng: "BNG-MEL-01", user: "CUST-ENT-1102@MELB"}
		serr := settle(op, p, m, ans)
		if serr == nil {
			gone := false
			if v, ok := rad.Get(rad.AttrsOf(ans), rad.ErrorCause); ok {
				c, ok := rad.CauseOf(v)
				gone = ok && c == rad.SessionContextNotFound
			}
			ack := map[radius.Code]radius.Code{radius.CodeCoARequest: radius.CodeCoAACK, radius.CodeDisconnectRequest: radius.CodeDisconnectACK}[m.code]
			assert.True(t, ans.Code == ack || release && ans.Code == radius.CodeDisconnectNAK && gone,
				"%s succeeds on %s", m.code, ans.Code)
			return
		}
		pe := classify(serr)
		assert.Contains(t, []port.ErrorClass{port.Transient, port.Exhausted, port.Invalid, port.Hard}, pe.Class, "%v", serr)
		assert.NotEmpty(t, pe.Code)
	})
}

package radius

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"layeh.com/radius"

	rad "github.com/ordertwin/ordertwin/core/radius"
)

// send writes wire to addr from conn and reads the answer, within a
// deadline.
func send(t *testing.T, conn net.Conn, wire []byte) []byte {
	t.Helper()
	_, err := conn.Write(wire)
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, radius.MaxPacketLength)
	n, err := conn.Read(buf)
	require.NoError(t, err)
	return buf[:n]
}

// A retransmitted request gets the first answer again and is not carried
// out twice: the Disconnect-Request sent again is ACKed, not NAKed for a
// session already gone.
func TestRetransmissionAnsweredOnce(t *testing.T) {
	s, addr := startServer(t)
	conn, err := net.Dial("udp", addr.String())
	require.NoError(t, err)
	defer conn.Close()
	encode := func(code radius.Code, id byte, attrs []rad.Attr) []byte {
		p, err := rad.NewPacket(code, id, []byte(secret), attrs)
		require.NoError(t, err)
		wire, err := rad.Encode(p)
		require.NoError(t, err)
		return wire
	}
	id := []rad.Attr{{Name: rad.NASIdentifier, Value: "BNG-MEL-01"}, {Name: rad.UserName, Value: user}}
	ack := send(t, conn, encode(radius.CodeCoARequest, 1, append(id, rad.Attr{Name: rad.NASPortID, Value: "vlan2108"})))
	assert.Equal(t, byte(radius.CodeCoAACK), ack[0])

	bye := encode(radius.CodeDisconnectRequest, 2, id)
	first := send(t, conn, bye)
	again := send(t, conn, bye)
	assert.Equal(t, first, again)
	assert.Equal(t, byte(radius.CodeDisconnectACK), again[0])
	require.NoError(t, rad.VerifyAnswer(again, bye, []byte(secret)))
	assert.Len(t, s.Received(), 3)

	// Sent anew (another Identifier), it is another request: no session.
	nak := send(t, conn, encode(radius.CodeDisconnectRequest, 3, id))
	assert.Equal(t, byte(radius.CodeDisconnectNAK), nak[0])

	// A CoA for the subscriber on another VLAN finds no such session;
	// one naming an attribute the BNG does not take is refused as such.
	send(t, conn, encode(radius.CodeCoARequest, 4, append(id, rad.Attr{Name: rad.NASPortID, Value: "vlan2108"})))
	p, _, err := rad.Parse(send(t, conn, encode(radius.CodeCoARequest, 5, append(id, rad.Attr{Name: rad.NASPortID, Value: "vlan2109"}))), []byte(secret))
	require.NoError(t, err)
	cause, _ := rad.Get(rad.AttrsOf(p), rad.ErrorCause)
	assert.Equal(t, "Session-Context-Not-Found", cause)
	p, _, err = rad.Parse(send(t, conn, encode(radius.CodeCoARequest, 6, append(id, rad.Attr{Name: rad.CiscoAVPair, Value: "ip:vrf-id=X"}))), []byte(secret))
	require.NoError(t, err)
	cause, _ = rad.Get(rad.AttrsOf(p), rad.ErrorCause)
	assert.Equal(t, "Unsupported-Attribute", cause)
	p, _, err = rad.Parse(send(t, conn, encode(radius.CodeCoARequest, 7, []rad.Attr{{Name: rad.NASIdentifier, Value: "BNG-XXX"}, {Name: rad.UserName, Value: user}})), []byte(secret))
	require.NoError(t, err)
	cause, _ = rad.Get(rad.AttrsOf(p), rad.ErrorCause)
	assert.Equal(t, "NAS-Identification-Mismatch", cause)
}

func TestBadConfigNamed(t *testing.T) {
	_, err := New(Config{BNGs: []string{"B"}})
	assert.ErrorContains(t, err, "shared secret")
	_, err = New(Config{Secret: []byte("s")})
	assert.ErrorContains(t, err, "no BNG")
	_, err = New(Config{Secret: []byte("s"), BNGs: []string{"B"}, Faults: []*Fault{{Kind: NAK}}})
	assert.ErrorContains(t, err, "needs an Error-Cause")
	_, err = New(Config{Secret: []byte("s"), BNGs: []string{"B"}, Faults: []*Fault{{Kind: Drop, Code: "Access-Request"}}})
	assert.ErrorContains(t, err, `"Access-Request": not CoA-Request or Disconnect-Request`)
	_, err = New(Config{Secret: []byte("s"), BNGs: []string{"B"}, Faults: []*Fault{{Kind: "slow"}}})
	assert.ErrorContains(t, err, `kind "slow"`)
}

package radius

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	rad "github.com/ordertwin/ordertwin/core/radius"
)

// radclient sends the requests in input (its attribute lists, one packet)
// to addr as command (coa, disconnect) with FreeRADIUS's radclient (Debian
// freeradius-utils, which .ci/run installs), the secret read from a file.
// It returns what radclient printed and whether it exited 0 (an ACK).
func radclient(t *testing.T, addr net.Addr, secret, command, input string) (string, bool) {
	t.Helper()
	bin, err := exec.LookPath("radclient")
	require.NoError(t, err, "radclient is needed: apt-get install -y freeradius-utils")
	file := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(file, []byte(secret+"\n"), 0o600))
	var out bytes.Buffer
	cmd := exec.Command(bin, "-x", "-S", file, "-r", "1", "-t", "2", addr.String(), command)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(input), &out, &out
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !assert.ErrorAs(t, err, &exit, "radclient did not run: %s", out.String()) {
		t.FailNow()
	}
	return out.String(), err == nil
}

func startServer(t *testing.T, faults ...*Fault) (*Server, net.Addr) {
	t.Helper()
	s, err := New(Config{Secret: []byte(secret), BNGs: []string{"BNG-MEL-01", "BNG-SYD-01"},
		Policies: []string{"BW-500-500-GOLD-ENT", "BW-1000-1000-GOLD-ENT"}, Faults: faults})
	require.NoError(t, err)
	addr, err := s.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s, addr
}

const (
	secret = "x7-Lk2mQ"
	user   = "CUST-ENT-1102/MELB"
)

func coa(policy string) string {
	return rad.Render([]rad.Attr{{Name: rad.NASIdentifier, Value: "BNG-MEL-01"}, {Name: rad.UserName, Value: user},
		{Name: rad.CiscoAVPair, Value: "subscriber:sub-qos-policy-in=" + policy},
		{Name: rad.CiscoAVPair, Value: "subscriber:sub-qos-policy-out=" + policy},
		{Name: rad.NASPortID, Value: "vlan2108"}, {Name: rad.MessageAuthenticator}})
}

var disconnect = rad.Render([]rad.Attr{{Name: rad.NASIdentifier, Value: "BNG-MEL-01"}, {Name: rad.UserName, Value: user},
	{Name: rad.MessageAuthenticator}})

// FreeRADIUS's radclient, which no one here wrote, drives the twin's BNG:
// a CoA-Request applies the subscriber's policies and VLAN, one naming a
// policy the BNG lacks is NAKed with Unsupported-Service, a
// Disconnect-Request ends the session, a second finds none. radclient
// checks our answers' authenticators and Message-Authenticators.
func TestRadclientInterop(t *testing.T) {
	s, addr := startServer(t)

	out, ok := radclient(t, addr, secret, "coa", coa("BW-500-500-GOLD-ENT"))
	assert.True(t, ok, out)
	assert.Contains(t, out, "Received CoA-ACK")
	sub, found := s.Subscriber("BNG-MEL-01", user)
	require.True(t, found)
	assert.Equal(t, Subscriber{BNG: "BNG-MEL-01", User: user, PolicyIn: "BW-500-500-GOLD-ENT", PolicyOut: "BW-500-500-GOLD-ENT",
		Port: "vlan2108"}, sub)

	out, ok = radclient(t, addr, secret, "coa", coa("BW-9-9-TIN"))
	assert.False(t, ok, out)
	assert.Contains(t, out, "Received CoA-NAK")
	assert.Contains(t, out, "Error-Cause = Unsupported-Service")
	sub, _ = s.Subscriber("BNG-MEL-01", user)
	assert.Equal(t, "BW-500-500-GOLD-ENT", sub.PolicyIn, "a NAKed request changes nothing")

	out, ok = radclient(t, addr, secret, "disconnect", disconnect)
	assert.True(t, ok, out)
	assert.Contains(t, out, "Received Disconnect-ACK")
	_, found = s.Subscriber("BNG-MEL-01", user)
	assert.False(t, found)

	out, ok = radclient(t, addr, secret, "disconnect", disconnect)
	assert.False(t, ok, out)
	assert.Contains(t, out, "Received Disconnect-NAK")
	assert.Contains(t, out, "Error-Cause = Session-Context-Not-Found")
}

// radclient with the wrong secret, or without a Message-Authenticator, is
// not answered; a NAK fault answers with its cause.
func TestRadclientRefusedAndFaults(t *testing.T) {
	s, addr := startServer(t, &Fault{Code: "CoA-Request", User: "CUST-ENT-1102/SYD1", Kind: NAK, Cause: rad.ResourcesUnavailable})

	out, ok := radclient(t, addr, "wrong", "coa", coa("BW-500-500-GOLD-ENT"))
	assert.False(t, ok, out)
	assert.NotContains(t, out, "Received")
	bare := strings.Replace(coa("BW-500-500-GOLD-ENT"), "Message-Authenticator = 0x00\n", "", 1)
	out, ok = radclient(t, addr, secret, "coa", bare)
	assert.False(t, ok, out)
	assert.NotContains(t, out, "Received")
	assert.Equal(t, 2, s.Refused(), "each request, dropped unanswered")
	_, found := s.Subscriber("BNG-MEL-01", user)
	assert.False(t, found)

	syd := strings.Replace(strings.Replace(coa("BW-1000-1000-GOLD-ENT"), "MELB", "SYD1", 1), "BNG-MEL-01", "BNG-SYD-01", 1)
	out, ok = radclient(t, addr, secret, "coa", syd)
	assert.False(t, ok, out)
	assert.Contains(t, out, "Error-Cause = Resources-Unavailable")
	assert.Equal(t, 1, s.cfg.Faults[0].Hits())
}

package radius

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// freeradiusConf is a FreeRADIUS server that takes CoA and Disconnect
// requests on loopback from one client, which must send a
// Message-Authenticator: it ACKs them, except for the subscriber "gone",
// which it NAKs with Session-Context-Not-Found.
const freeradiusConf = `prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = {{dir}}
sbindir = /usr/sbin
logdir = {{dir}}
raddbdir = {{dir}}
radacctdir = {{dir}}
name = freeradius
confdir = {{dir}}
run_dir = {{dir}}
db_dir = {{dir}}
libdir = /usr/lib/freeradius
pidfile = {{dir}}/radiusd.pid
max_request_time = 5
cleanup_delay = 1
max_requests = 100
hostname_lookups = no
log {
	destination = stdout
}
security {
	allow_core_dumps = no
}
client ordertwin {
	ipaddr = 127.0.0.1
	secret = {{secret}}
	require_message_authenticator = yes
}
modules {
	always ok {
		rcode = ok
	}
	always reject {
		rcode = reject
	}
}
listen {
	type = coa
	ipaddr = 127.0.0.1
	port = {{port}}
	virtual_server = coa
}
server coa {
	recv-coa {
		if (&User-Name == "gone") {
			update reply {
				&Error-Cause := Session-Context-Not-Found
			}
			reject
		}
		ok
	}
	send-coa {
		ok
	}
}
`

// freeradius starts FreeRADIUS's server (Debian freeradius, which .ci/run
// installs) as a Dynamic Authorization Server on a free loopback port, and
// returns its address once it is ready.
func freeradius(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("freeradius")
	require.NoError(t, err, "FreeRADIUS is needed: apt-get install -y freeradius")
	probe, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := probe.LocalAddr().String()
	require.NoError(t, probe.Close())
	_, p, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	conf := strings.NewReplacer("{{dir}}", dir, "{{secret}}", secret, "{{port}}", p).Replace(freeradiusConf)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "radiusd.conf"), []byte(conf), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dictionary"), nil, 0o600))

	cmd := exec.Command(bin, "-X", "-d", dir, "-n", "radiusd")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = cmd.Stdout
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	ready := make(chan struct{})
	var seen strings.Builder
	go func() {
		defer close(exited)
		s := bufio.NewScanner(out)
		signalled := false
		for s.Scan() {
			if !signalled {
				fmt.Fprintln(&seen, s.Text())
			}
			if !signalled && strings.Contains(s.Text(), "Ready to process requests") {
				signalled = true
				close(ready)
			}
		}
		_ = cmd.Wait()
	}()
	select {
	case <-ready:
	case <-exited:
		t.Fatalf("FreeRADIUS exited before it was ready:\n%s", seen.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("FreeRADIUS not ready within 30s")
	}
	return addr
}

// Our client against a Dynamic Authorization Server no one here wrote:
// FreeRADIUS checks our authenticators and Message-Authenticators, and we
// check its answers'.
func TestAgainstFreeRADIUS(t *testing.T) {
	addr := freeradius(t)
	file := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(file, []byte(secret), 0o600))
	b, err := New(Config{BNGs: map[string]string{"BNG-MEL-01": addr}, SecretFile: file, Timeout: 5 * time.Second,
		Retry: 500 * time.Millisecond})
	require.NoError(t, err)
	ctx := context.Background()
	policy := &tmf.Resource{ID: "BW-500-500-GOLD-ENT-ROI-004", ResourceType: "QoSPolicy", Value: "BW-500-500-GOLD-ENT"}

	res := b.Do(ctx, request(port.Commit, "c1", policy))
	require.Nil(t, res.Err)
	assert.Equal(t, "available", res.Resource.State)
	res = b.Do(ctx, request(port.Commit, "c2", vlan))
	require.Nil(t, res.Err)
	res = b.Do(ctx, request(port.Release, "r1", policy))
	require.Nil(t, res.Err)

	gone := request(port.Commit, "c3", policy)
	gone.Characteristics = tmf.Characteristics{{Name: "subscriber", Value: "gone"}}
	res = b.Do(ctx, gone)
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Hard, res.Err.Class)
	assert.Equal(t, "Session-Context-Not-Found", res.Err.Code)
	assert.Contains(t, res.Err.Message, "CoA-NAK")

	// With the wrong secret FreeRADIUS drops the request: no answer by the
	// deadline.
	t.Setenv("BNG_SECRET_WRONG", "not-the-secret")
	wrong, err := New(Config{BNGs: map[string]string{"BNG-MEL-01": addr}, SecretEnv: "BNG_SECRET_WRONG",
		Timeout: 600 * time.Millisecond, Retry: 200 * time.Millisecond})
	require.NoError(t, err)
	res = wrong.Do(ctx, request(port.Commit, "c4", policy))
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Transient, res.Err.Class)
	assert.Equal(t, "timeout", res.Err.Code)
}

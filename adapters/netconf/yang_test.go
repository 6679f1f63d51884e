package netconf

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/netconf"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
	tnc "github.com/ordertwin/ordertwin/twin/netconf"
)

// yangDir holds the vendored BBF and IETF modules (third_party/yang).
var yangDir = filepath.Join("..", "..", "third_party", "yang")

// yangModules are the modules the edits use, loaded as implemented.
var yangModules = []string{"bbf/bbf-xpon.yang", "bbf/bbf-xponvani.yang", "bbf/bbf-xpongemtcont.yang",
	"bbf/bbf-sub-interfaces.yang", "bbf/bbf-sub-interface-tagging.yang", "bbf/bbf-l2-forwarding.yang",
	"bbf/bbf-xpon-if-type.yang", "bbf/bbf-if-type.yang", "bbf/bbf-dot1q-types.yang", "bbf/bbf-xpon-types.yang",
	"ietf/iana-if-type.yang", "ietf/ietf-netconf@2011-06-01.yang"}

// yanglint validates data of a kind (edit: an edit-config's content;
// config: a whole configuration datastore) against the modules, with
// libyang's yanglint (Debian libyang2-tools, which .ci/run installs).
func yanglint(t *testing.T, kind string, data []byte) error {
	t.Helper()
	bin, err := exec.LookPath("yanglint")
	require.NoError(t, err, "yanglint is needed: apt-get install -y libyang2-tools")
	f := filepath.Join(t.TempDir(), kind+".xml")
	require.NoError(t, os.WriteFile(f, data, 0o600))
	args := []string{"-Q", "-i", "-p", filepath.Join(yangDir, "bbf"), "-p", filepath.Join(yangDir, "ietf"), "-t", kind}
	for _, m := range yangModules {
		args = append(args, filepath.Join(yangDir, m))
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, append(args, f)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return &yangError{out.String()}
	}
	return nil
}

type yangError struct{ out string }

func (e *yangError) Error() string { return "yanglint: " + strings.TrimSpace(e.out) }

// inner is an edit's payload without its <config> element.
func inner(t *testing.T, e *Edit) []byte {
	t.Helper()
	b, ok := bytes.CutPrefix(e.Config, []byte("<config>"))
	require.True(t, ok)
	b, ok = bytes.CutSuffix(b, []byte("</config>"))
	require.True(t, ok)
	return b
}

// Every payload the templates render is valid against the BBF TR-385 and
// IETF modules: each edit on its own, and the OLT's whole running
// configuration after a reserve and commit and after a release.
func TestPayloadsAgainstYANG(t *testing.T) {
	o := startOLT(t)
	a := o.adapter(t, 10*time.Second)
	ctx := context.Background()
	running := func() []byte { return netconf.Marshal(o.running(t)) }

	require.NoError(t, yanglint(t, "config", running()), "the twin OLT's PON ports")

	res := a.Do(ctx, reserveReq("ROI-001"))
	require.Nil(t, res.Err)
	c := commitReq("ROI-001", res.Resource)
	c.Characteristics.Set("bandwidthProfile", "")
	c.Characteristics.Set("speed", "1G-sym")
	// What ROM sends for a bearer's commit: its speed, before the site
	// has a VLAN, and no ONT serial.
	bearer := &port.Request{Key: "ROI-001/commit/1", System: port.Access, Op: port.Commit, Item: "ROI-001",
		Resource: res.Resource, Config: port.Config{SpeedMbps: 1000}}
	for _, req := range []*port.Request{reserveReq("ROI-001"), commitReq("ROI-001", res.Resource), c, bearer,
		releaseReq("ROI-001", &tmf.Resource{ResourceType: "OLTPort", Characteristics: res.Resource.Characteristics})} {
		e, perr := a.Plan(req)
		require.Nil(t, perr)
		assert.NoError(t, yanglint(t, "edit", inner(t, e)), "%s edit", req.Op)
	}

	res = a.Do(ctx, commitReq("ROI-001", res.Resource))
	require.Nil(t, res.Err)
	assert.NoError(t, yanglint(t, "config", running()), "after the commit")
	require.Nil(t, a.Do(ctx, releaseReq("ROI-001", res.Resource)).Err)
	assert.NoError(t, yanglint(t, "config", running()), "after the release")
}

// The P2P handoffs' payloads and the exchange switch's whole running
// configuration, before and after a handoff is given and taken back, are
// valid against ietf-interfaces.
func TestHandoffPayloadsAgainstYANG(t *testing.T) {
	x, err := tnc.NewExchange("EX-1", 2, tnc.WallClock{})
	require.NoError(t, err)
	require.NoError(t, yanglint(t, "config", x.Running()), "the exchange's ports")
	for _, op := range []port.Op{port.Reserve, port.Commit, port.Release} {
		e, err := RenderHandoff(op, Handoff{Item: "ROI-007", Exchange: "EX-1", Port: 2})
		require.NoError(t, err)
		assert.NoError(t, yanglint(t, "edit", inner(t, e)), "%s edit", op)
		if op != port.Release { // a remove of a leaf needs the leaf there: the device checks that
			require.NoError(t, x.Load(e.Config))
			assert.NoError(t, yanglint(t, "config", x.Running()), "after the %s", op)
		}
	}
}

// The check can fail: a payload off the schema is refused.
func TestYANGRefusesWrongPayload(t *testing.T) {
	e, err := Render(port.Commit, Service{Item: "ROI-001", OLT: oltName, Slot: 2, Port: 8, ONUID: 1,
		Serial: "ALCL0A1B2C3D", VLAN: 2108, Profile: "BW-500-500-GOLD-ENT", Assured: 1, Maximum: 1, Uplink: "uplink-1"})
	require.NoError(t, err)
	wrong := bytes.Replace(inner(t, e), []byte("<vlan-id>2108</vlan-id>"), []byte("<vlan-id>5000</vlan-id>"), 1)
	err = yanglint(t, "edit", wrong)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "vlan-id")
}

package netconf

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/watchdog"
)

// FuzzParseTree: the content of a device's <data> (or a client's
// <config>) reads as a tree or fails, never panics nor hangs; a tree read
// writes as XML that reads back as the same tree (operations aside).
func FuzzParseTree(f *testing.F) {
	nc := `xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"`
	for _, s := range []string{
		`<interfaces ` + ifs + `><interface><name>cpair-LC1-P1</name><type xmlns:bbf-xponift="urn:bbf:yang:bbf-xpon-if-type">bbf-xponift:channel-pair</type></interface>` +
			`<interface><name>vani-LC1-P1-1</name><description>ORD-1/item-2</description><enabled>false</enabled></interface></interfaces>`,
		"\n  <interfaces " + ifs + ">\n    <interface>\n      <name>p2p-3</name>\n      <description/>\n    </interface>\n  </interfaces>\n",
		`<interfaces ` + ifs + `><interface ` + nc + ` nc:operation="create"><name>a</name></interface></interfaces>`,
		`<a>x<!-- cut -->y<![CDATA[<z>]]></a><b/>`,
		`<a xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="erase"/>`,
		`text<a/>`, `<a><b></a>`, `<a>&bogus;</a>`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		defer watchdog.Arm(2 * time.Second)()
		tree, err := ParseTree(b)
		if err != nil {
			require.Nil(t, tree)
			require.ErrorContains(t, err, "configuration XML")
			return
		}
		again, err := ParseTree(Marshal(tree))
		require.NoError(t, err, "%q written as %q", b, Marshal(tree))
		assert.Equal(t, Marshal(Clone(tree)), Marshal(again), "read back")
	})
}

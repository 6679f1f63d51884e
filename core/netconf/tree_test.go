package netconf

import (
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ifs = `xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"`

func tree(t *testing.T, s string) []*Node {
	t.Helper()
	n, err := ParseTree([]byte(s))
	require.NoError(t, err)
	return n
}

// RFC 6241 §7.2: the edit operations on list entries identified by their
// key, and merge by default.
func TestApply(t *testing.T) {
	store := tree(t, `<interfaces `+ifs+`><interface><name>a</name><enabled>true</enabled></interface></interfaces>`)
	nc := `xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"`
	for _, tc := range []struct {
		name, edit, want, tag string
	}{
		{"merge changes a leaf", `<interfaces ` + ifs + `><interface><name>a</name><enabled>false</enabled></interface></interfaces>`,
			`<interfaces ` + ifs + `><interface><name>a</name><enabled>false</enabled></interface></interfaces>`, ""},
		{"merge adds an entry", `<interfaces ` + ifs + `><interface><name>b</name></interface></interfaces>`,
			`<interfaces ` + ifs + `><interface><name>a</name><enabled>true</enabled></interface><interface><name>b</name></interface></interfaces>`, ""},
		{"create of an existing entry", `<interfaces ` + ifs + `><interface ` + nc + ` nc:operation="create"><name>a</name></interface></interfaces>`, "", DataExists},
		{"delete of a missing entry", `<interfaces ` + ifs + `><interface ` + nc + ` nc:operation="delete"><name>z</name></interface></interfaces>`, "", DataMissing},
		{"remove of a missing entry", `<interfaces ` + ifs + `><interface ` + nc + ` nc:operation="remove"><name>z</name></interface></interfaces>`,
			`<interfaces ` + ifs + `><interface><name>a</name><enabled>true</enabled></interface></interfaces>`, ""},
		{"replace drops what the edit lacks", `<interfaces ` + ifs + `><interface ` + nc + ` nc:operation="replace"><name>a</name></interface></interfaces>`,
			`<interfaces ` + ifs + `><interface><name>a</name></interface></interfaces>`, ""},
	} {
		got, err := Apply(store, tree(t, tc.edit))
		if tc.tag != "" {
			require.NotNil(t, err, tc.name)
			assert.Equal(t, tc.tag, err.Tag, tc.name)
			continue
		}
		require.Nil(t, err, tc.name)
		assert.Equal(t, tc.want, string(Marshal(got)), tc.name)
	}
	assert.Equal(t, `<interfaces `+ifs+`><interface><name>a</name><enabled>true</enabled></interface></interfaces>`, string(Marshal(store)),
		"the store edited is left as it was")
}

func TestParseTreeRefusesBadOperation(t *testing.T) {
	_, err := ParseTree([]byte(`<a xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="erase"/>`))
	assert.ErrorContains(t, err, `operation "erase"`)
}

func TestMissing(t *testing.T) {
	have := tree(t, `<interfaces `+ifs+`><interface><name>a</name><enabled>true</enabled></interface></interfaces>`)
	assert.Empty(t, Missing(have, tree(t, `<interfaces `+ifs+`><interface><name>a</name></interface></interfaces>`)))
	assert.Equal(t, `/interfaces/interface[name=a]/enabled ("true", not "false")`,
		Missing(have, tree(t, `<interfaces `+ifs+`><interface><name>a</name><enabled>false</enabled></interface></interfaces>`)))
	assert.Equal(t, `/interfaces/interface[name=b]`, Missing(have, tree(t, `<interfaces `+ifs+`><interface><name>b</name></interface></interfaces>`)))
}

// A device's text cut into many pieces (by comments, or whitespace between
// thousands of children) reads in time and memory in proportion to its
// size: each piece was appended to a copy of all before it, and a reply of
// a few hundred kilobytes took seconds.
func TestParseTreeReadsTextInManyPiecesInLinearMemory(t *testing.T) {
	const pieces = 20000
	for name, b := range map[string]string{
		"text cut by comments":             "<a>" + strings.Repeat("x<!---->", pieces) + "</a>",
		"whitespace between many children": "<a>" + strings.Repeat("<b/> ", pieces) + "</a>",
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		tree, err := ParseTree([]byte(b))
		runtime.ReadMemStats(&after)
		require.NoError(t, err, name)
		require.Len(t, tree, 1, name)
		// About 80 bytes a byte of input for elements; appending to a
		// copy allocated pieces²/2, over 200 MB here.
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(200*len(b)), name)
	}
	tree, err := ParseTree([]byte("<a> x<!-- -->y<![CDATA[ z ]]></a>"))
	require.NoError(t, err)
	assert.Equal(t, "xy z", tree[0].Text, "the pieces, in order, trimmed at both ends")
}

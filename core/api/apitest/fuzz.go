package apitest

import (
	"encoding/json"
	"testing"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The request decoders take outside input: whatever the body, they answer
// without panicking, either a 400 that says what is wrong, or a request
// that keeps the promises of their doc comments and that they decode the
// same when it is sent again (re-encoded, the way a client would). These
// help their fuzz targets say so.

// DecodeRefused checks a decoder's error: a 400 with a message.
func DecodeRefused(t *testing.T, e *tmf630.Error) {
	t.Helper()
	assert.Equal(t, "400", e.Status, e.Message)
	assert.NotEmpty(t, e.Message)
	assert.Equal(t, "Error", e.Type)
}

// Reencode is v as a client would send it again: JSON, without the
// members that are null (a field left out).
func Reencode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var generic any
	require.NoError(t, json.Unmarshal(b, &generic))
	b, err = json.Marshal(dropNulls(generic))
	require.NoError(t, err)
	return b
}

func dropNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if x == nil {
				delete(v, k)
				continue
			}
			v[k] = dropNulls(x)
		}
	case []any:
		for i, x := range v {
			v[i] = dropNulls(x)
		}
	}
	return v
}

// Malformed are bodies every decoder must refuse.
var Malformed = []string{``, `{`, `[]`, `null`, `"x"`, `1`, `{} {}`, `{"a":1}x`, "\xff", `{"id":"1"}`, `{"state":null}`}

// AddSeeds seeds f with bodies and the malformed ones.
func AddSeeds(f *testing.F, bodies ...string) {
	for _, b := range append(bodies, Malformed...) {
		f.Add([]byte(b))
	}
}

// MustMarshal is v as JSON.
func MustMarshal(f testing.TB, v any) string {
	b, err := json.Marshal(v)
	require.NoError(f, err)
	return string(b)
}

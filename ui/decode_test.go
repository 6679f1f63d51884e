package ui

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/engine"
)

// A control's body that does not decode is a 400 naming the member as
// the client spelt it (docs/api.md, "Errors"), not a Go field or
// "malformed JSON" for JSON that is well formed; a clock's scale is
// bounded below as above.
func TestControlBodyRefusedNamingTheMember(t *testing.T) {
	clock := engine.NewPausable(engine.ClockState{Wall: time.Now(), Scale: 1})
	mux := http.NewServeMux()
	(&Control{Clock: clock}).Routes(mux)
	for _, c := range []struct{ method, path, body, want string }{
		{"POST", FaultPath, `{"name":"f","every":0}`, "every: a count of 0: want 1 or more"},
		{"POST", FaultPath, `{"name":"f","first":1e20}`, "first: want a whole number, not number 1e20"},
		{"POST", FaultPath, `{"name":"f","measure":{"latencyMs":"slow"}}`, "measure.latencyMs: want a number, not string"},
		{"POST", FaultPath, `{"name":"f","target":{"planet":"mars"}}`, `target: unknown member "planet"; the members are area, op, region, resourceType, site, stage, system`},
		{"POST", FaultPath, `{"name":"f","kind":"hard",`, "malformed JSON: unexpected EOF"},
		{"PATCH", ClockPath, `{"scale":1e-300}`, "scale: 1e-300: want at least 0.001 and at most 31536000 (virtual seconds a second)"},
		{"PATCH", ClockPath, `{"paused":true}`, `unknown member "paused"; the members are scale, state`},
	} {
		r := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		require.Equal(t, http.StatusBadRequest, w.Code, c.body)
		var e tmf630.Error
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &e))
		assert.Equal(t, c.want, strings.TrimPrefix(e.Message, "the body: "), c.body)
	}
	assert.Equal(t, 1.0, clock.State().Scale, "a refused scale changes nothing")
}

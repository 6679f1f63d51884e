package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every command taken records who gave it: the input log keeps, with the
// command, the authenticated actor and its roles, the request's id, the
// address it came from and when it was taken (docs/audit.md).
func TestCommandsRecordTheirActor(t *testing.T) {
	mem := store.NewMemory()
	g := serveGuardedWith(t, scenarios.Options{Journal: mem, Log: mem})
	before := len(mem.Inputs())
	sales := caller{name: "sam", role: auth.Sales, tenant: ownParty}
	quote, _ := worked(t)
	body, err := json.Marshal(quote)
	require.NoError(t, err)
	req := httptest.NewRequest("POST", quotesPath, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+g.token(t, sales))
	req.Header.Set(api.RequestIDHeader, "req-7781")
	req.RemoteAddr = "192.0.2.10:51515"
	taken := time.Now()
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	g.h.ServeHTTP(w, req)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	logged := mem.Inputs()[before:]
	require.NotEmpty(t, logged, "the quote was taken")
	o := logged[len(logged)-1].Origin
	assert.Equal(t, "sam", o.Actor)
	assert.Equal(t, []string{string(auth.Sales)}, o.Roles)
	assert.Equal(t, "req-7781", o.Request)
	assert.Equal(t, "192.0.2.10:51515", o.Source)
	assert.WithinDuration(t, taken, o.Taken, time.Minute)
}

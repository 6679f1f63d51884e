// Package apitest serves the worked example for the tests of the TMF
// APIs, and checks their answers the way every API's tests do.
package apitest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Rollout is the worked example served after its rollout ran to the end
// on the virtual clock: 5 sites active (seed, "T+35 days: full order
// complete").
type Rollout struct {
	h http.Handler
}

// ServeRollout serves the worked example after its rollout ran to the
// end, the engine stopped when the test ends.
func ServeRollout(t *testing.T) *Rollout { t.Helper(); return ServeLibrary(t, "globaltech-5site.yaml") }

// ServeLibrary serves a library scenario after its rollout ran to the
// end, as ServeRollout.
func ServeLibrary(t *testing.T, name string) *Rollout {
	t.Helper()
	sc, err := scenarios.LoadLibrary(name)
	require.NoError(t, err)
	sys, err := scenarios.New(sc.Spec, scenarios.Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sys.Engine.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	})
	// Each query waits for a step: wait until nothing is left to do.
	for pending := -1; pending != 0; {
		require.NoError(t, sys.Engine.Query(ctx, func() { pending = sys.Engine.Pending() }))
	}
	return &Rollout{h: sys.API().Handler()}
}

// Call sends a request with the headers the conformance kits send.
func (r *Rollout) Call(t *testing.T, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	return r.CallAs(t, method, path, body, "application/json")
}

// CallAs sends a request whose body is of the media type given.
func (r *Rollout) CallAs(t *testing.T, method, path, body, mediaType string) *httptest.ResponseRecorder {
	t.Helper()
	return r.CallWith(t, method, path, body, http.Header{"Content-Type": {mediaType}})
}

// CallWith sends a request with the headers given besides Accept.
func (r *Rollout) CallWith(t *testing.T, method, path, body string, h http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Accept", "application/json")
	for k, v := range h {
		req.Header[http.CanonicalHeaderKey(k)] = v
	}
	w := httptest.NewRecorder()
	r.h.ServeHTTP(w, req)
	return w
}

// List GETs a collection and decodes it.
func (r *Rollout) List(t *testing.T, path string) []map[string]any {
	t.Helper()
	w := r.Call(t, http.MethodGet, path, "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var out []map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out), w.Body.String())
	return out
}

// One GETs an entity and decodes it.
func (r *Rollout) One(t *testing.T, path string) map[string]any {
	t.Helper()
	w := r.Call(t, http.MethodGet, path, "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var out map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out), w.Body.String())
	return out
}

// TMFError checks a TMF Error answer: its status, and a message naming
// what is wrong.
func TMFError(t *testing.T, w *httptest.ResponseRecorder, status int, names string) {
	t.Helper()
	require.Equal(t, status, w.Code, w.Body.String())
	var e tmf630.Error
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &e), w.Body.String())
	assert.Equal(t, "Error", e.Type)
	assert.Equal(t, http.StatusText(status), e.Reason)
	assert.Contains(t, e.Message, names)
}

// ByID finds an element of a list by id.
func ByID(t *testing.T, items []map[string]any, id string) map[string]any {
	t.Helper()
	i := slices.IndexFunc(items, func(m map[string]any) bool { return m["id"] == id })
	require.GreaterOrEqual(t, i, 0, "no %s in the list", id)
	return items[i]
}

// IDsOf is the ids of a list's elements, in order.
func IDsOf(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, m := range items {
		out[i], _ = m["id"].(string)
	}
	return out
}

// Lookup returns the value of the characteristic called name in a v4
// characteristic list.
func Lookup(t *testing.T, chars any, name string) any {
	t.Helper()
	list, ok := chars.([]any)
	require.True(t, ok, "characteristics: %v", chars)
	for _, c := range list {
		if c := c.(map[string]any); c["name"] == name {
			return c["value"]
		}
	}
	return nil
}

// PathOf is the path of an href, for a request to the handler.
func PathOf(t *testing.T, href any) string {
	t.Helper()
	s, ok := href.(string)
	require.True(t, ok, "href: %v", href)
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u.EscapedPath()
}

// Keys is the member names of an entity.
func Keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

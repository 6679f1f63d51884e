package ui

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The console serves the resource use it is given as JSON, a 503 when
// the engine does not answer, and no route at all without one (a process
// that runs no network).
func TestResourceUseRoute(t *testing.T) {
	for _, tc := range []struct {
		name   string
		use    ResourceUse
		status int
	}{
		{"answered", func(context.Context) (any, error) { return map[string]int{"used": 3}, nil }, http.StatusOK},
		{"engine stuck", func(context.Context) (any, error) { return nil, errors.New("deadline exceeded") }, http.StatusServiceUnavailable},
		{"no network", nil, http.StatusNotFound},
	} {
		mux := http.NewServeMux()
		(&Console{ResourceUse: tc.use}).Routes(mux)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, ResourceUsePath, nil))
		require.Equal(t, tc.status, rec.Code, tc.name)
		if tc.status == http.StatusOK {
			var got map[string]int
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
			assert.Equal(t, 3, got["used"])
		}
	}
}

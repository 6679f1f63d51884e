package ui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ordertwin/ordertwin/core/engine"
)

// A clock the processes of a deployment share is not steered by one of
// them: a change or a step is a 409 saying why, and the clock runs on.
func TestFixedClockIsNotSteered(t *testing.T) {
	clock := engine.NewPausable(engine.ClockState{Wall: time.Now(), Scale: 1})
	c := &Control{Clock: clock, Fixed: "the processes of a deployment share one clock"}
	mux := http.NewServeMux()
	c.Routes(mux)
	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodPatch, ClockPath, strings.NewReader(`{"state":"paused"}`)),
		httptest.NewRequest(http.MethodPost, ClockPath+"/step", nil),
	} {
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		assert.Equal(t, http.StatusConflict, w.Code, r.URL.Path)
		assert.Contains(t, w.Body.String(), "share one clock", r.URL.Path)
	}
	assert.False(t, clock.State().Paused)
}

// A deployment of several shards does not serve the controls of one
// system: each says so (a 404 that names why), beside the console's and
// the faults' routes.
func TestUnshardedRoutesSaySo(t *testing.T) {
	mux := http.NewServeMux()
	(&Console{Shards: 2}).Routes(mux)
	(&Control{}).FaultRoutes(mux)
	UnshardedRoutes(mux)
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, ClockPath}, {http.MethodPost, ScenarioRunPath}, {http.MethodDelete, WhatIfPath + "/WI-1"}, {http.MethodGet, ResourceUsePath},
	} {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(c.method, c.path, nil))
		assert.Equal(t, http.StatusNotFound, w.Code, c.path)
		assert.Contains(t, w.Body.String(), "a deployment of several shards (serve --shards) does not serve the controls of one system", c.path)
	}
}

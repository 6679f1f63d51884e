package ztp

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/pnp"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/core/watchdog"
)

// pilotUDI is how the pilot's CE router calls itself.
var pilotUDI = pnp.UDIOf("ISR-4431", pilotSerial).String()

// router is the pilot's CE router talking to z in process, through
// ServeHTTP: no network.
type router struct {
	t testing.TB
	z *ZTP
}

// post sends body to path and returns the status and the answer.
func (r router) post(path string, body []byte) (int, []byte) {
	w := httptest.NewRecorder()
	r.z.ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body))))
	return w.Code, w.Body.Bytes()
}

// ask asks for work and returns the correlator of the work given.
func (r router) ask() string {
	code, out := r.post(pnp.WorkRequestPath, pnp.Work(pilotUDI, nil).Marshal())
	require.Equal(r.t, http.StatusOK, code, "%s", out)
	m, err := pnp.Parse(out)
	require.NoError(r.t, err)
	require.NotNil(r.t, m.Request)
	return m.Request.Correlator
}

// report reports work done.
func (r router) report(resp *pnp.Response) {
	code, out := r.post(pnp.WorkResponsePath, (&pnp.Message{UDI: pilotUDI, Response: resp}).Marshal())
	require.Equal(r.t, http.StatusOK, code, "%s", out)
}

// The reports of the pilot's router, in the order the server asks for
// them: what it is, the check of its configuration, the apply.
func reports(key string) []*pnp.Response {
	return []*pnp.Response{
		{Xmlns: pnp.DeviceInfo, Correlator: key + "-1", Success: 1, HardwareInfo: &pnp.HardwareInfo{Hostname: "Router", PlatformName: "ISR4431/K9", BoardID: pilotSerial}},
		{Xmlns: pnp.CLIExec, Correlator: key + "-2", Success: 1, Output: "Building configuration...\nhostname Router\nend"},
		{Xmlns: pnp.CLIConfig, Correlator: key + "-3", Success: 1, Results: []pnp.ResultEntry{{LineNumber: 1, CLIString: "hostname CE-ENT-1102-MELB", Success: &struct{}{}}}},
	}
}

// FuzzRouterReport: whatever a CE router sends at any point of its
// conversation, the server answers within bounds, never panics, with a
// PnP message (or refuses the request), and ends the call as done only on
// a report that says so: a successful apply, or a check showing the
// call's configuration there already.
func FuzzRouterReport(f *testing.F) {
	const key = "ROI-006/commit/1"
	for step, resp := range reports(key) {
		f.Add(uint8(step+1), (&pnp.Message{UDI: pilotUDI, Response: resp}).Marshal())
	}
	f.Add(uint8(0), pnp.Work(pilotUDI, nil).Marshal())
	f.Add(uint8(2), (&pnp.Message{UDI: pilotUDI, Response: &pnp.Response{Correlator: key + "-2", Success: 1,
		Output: "hostname CE-ENT-1102-MELB\n event manager environment " + pnp.MarkerName + " " + key + "\nend"}}).Marshal())
	f.Add(uint8(3), (&pnp.Message{UDI: pilotUDI, Response: &pnp.Response{Correlator: key + "-3", Success: 0,
		Results: []pnp.ResultEntry{{LineNumber: 7, CLIString: "ip address 10.88.12.2", Failure: &pnp.ErrorInfo{Message: "% Invalid input"}}}}}).Marshal())
	f.Add(uint8(1), []byte(`<pnp xmlns="urn:cisco:pnp" udi="SN:`+pilotSerial+`"><response correlator="`+key+`-1" success="1"><hardwareInfo><boardId>OTHER</boardId></hardwareInfo></response></pnp>`))
	f.Add(uint8(1), []byte(`<pnp xmlns="urn:cisco:pnp" udi="PID:,SN:"/>`))
	f.Add(uint8(3), []byte(`<pnp`))
	resource := &tmf.Resource{ID: pilotSerial, ResourceType: "CPE", State: "reserved",
		Characteristics: tmf.Characteristics{{Name: CharModel, Value: "ISR-4431"}}}
	f.Fuzz(func(t *testing.T, step uint8, body []byte) {
		defer watchdog.Arm(2 * time.Second)()
		z, err := New(Config{Advertise: pnp.Discovery{Host: "192.0.2.1", Port: 80}, Timeout: time.Minute,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		require.NoError(t, err)
		c, res := z.start(pilot(resource), false)
		require.Nil(t, res)
		r := router{t, z}
		// The conversation up to step: asked for work, then each report
		// before the one fuzzed, and the next work asked for.
		step %= 4
		if step > 0 {
			r.ask()
			for _, resp := range reports(key)[:step-1] {
				r.report(resp)
				r.ask()
			}
		}
		path := pnp.WorkResponsePath
		if step == 0 {
			path = pnp.WorkRequestPath
		}
		code, out := r.post(path, body)
		require.Contains(t, []int{http.StatusOK, http.StatusBadRequest}, code, "%s", out)
		if code == http.StatusOK {
			_, err := pnp.Parse(out)
			require.NoError(t, err, "the server answers with a PnP message: %s", out)
		}
		select {
		case <-c.done:
		default:
			return
		}
		if c.res.Err != nil {
			assert.Contains(t, []port.ErrorClass{port.Transient, port.Hard}, c.res.Err.Class, "%v", c.res.Err)
			return
		}
		m, err := pnp.Parse(body)
		require.NoError(t, err, "a call ends as done on a report")
		resp := m.Response
		require.NotNil(t, resp, "a call ends as done on a report")
		assert.Equal(t, 1, resp.Success)
		switch step {
		case 2:
			assert.True(t, holds(resp.Output, c.day1.Marker()), "the check shows the call's configuration there: %q", resp.Output)
		case 3:
			assert.Equal(t, key+"-3", resp.Correlator)
		default:
			t.Fatalf("step %d ended the call as done", step)
		}
	})
}

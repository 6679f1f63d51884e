package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/auth"
)

// dashboardFile is the Grafana dashboard that ships with the docs.
const dashboardFile = "../../docs/grafana/ordertwin.json"

// grafanaDashboard is what the test reads of a Grafana dashboard.
type grafanaDashboard struct {
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Templating struct {
		List []struct{ Name string } `json:"list"`
	} `json:"templating"`
	Panels []struct {
		ID         int    `json:"id"`
		Title      string `json:"title"`
		Type       string `json:"type"`
		Datasource struct{ Type, UID string }
		GridPos    struct{ X, Y, W, H int } `json:"gridPos"`
		Targets    []struct {
			RefID string `json:"refId"`
			Expr  string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// exposition is what a /metrics answer holds: each family's type, and the
// labels its samples carry.
type exposition struct {
	types  map[string]string
	labels map[string]map[string]bool // sample name → label names
}

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$`)
var labelName = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="`)

func readExposition(t *testing.T, text string) exposition {
	e := exposition{types: map[string]string{}, labels: map[string]map[string]bool{}}
	for line := range strings.SplitSeq(strings.TrimSpace(text), "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			e.types[f[2]] = f[3]
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		require.NotNil(t, m, "a sample line that does not parse: %q", line)
		if e.labels[m[1]] == nil {
			e.labels[m[1]] = map[string]bool{}
		}
		for _, l := range labelName.FindAllStringSubmatch(m[2], -1) {
			e.labels[m[1]][l[1]] = true
		}
	}
	return e
}

// family is the family a sample name of a query belongs to: a histogram's
// _bucket, _sum and _count are its own.
func (e exposition) family(name string) (string, bool) {
	if _, ok := e.types[name]; ok {
		return name, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && e.types[base] == "histogram" {
			return base, true
		}
	}
	return "", false
}

var (
	metricName = regexp.MustCompile(`\b((?:ordertwin|go|process)_[a-z0-9_]+)\b`)
	byLabels   = regexp.MustCompile(`\bby \(([^)]*)\)`)
)

// The dashboard in docs/grafana is Grafana's model (panels with ids,
// places and queries), and every metric its queries name is one a
// running server exposes on /metrics — a histogram's series included —
// with the labels the queries group by (Prometheus adds job and le is
// the histogram's).
func TestGrafanaDashboardNamesServedMetrics(t *testing.T) {
	raw, err := os.ReadFile(dashboardFile)
	require.NoError(t, err)
	var d grafanaDashboard
	require.NoError(t, json.Unmarshal(raw, &d))
	assert.Equal(t, "ordertwin", d.UID)
	require.NotEmpty(t, d.Panels)
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name)
	}
	assert.Contains(t, vars, "datasource")

	// The flaky NETCONF case, run to completion: adapters called, items
	// retried and completed, every family with samples.
	s := serveInProcess(t, "../../scenarios/flaky-netconf.yaml", "--scale", "1e9")
	req, err := http.NewRequest(http.MethodGet, "http://"+s.addr+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+devToken(t, s.db, auth.Operations, ""))
	var served exposition
	require.Eventually(t, func() bool {
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err)
		served = readExposition(t, string(b))
		return strings.Contains(string(b), `ordertwin_product_orders{state="completed"} 1`)
	}, time.Minute, 20*time.Millisecond, "the order completes")

	ids := map[int]bool{}
	named := map[string]bool{}
	for _, p := range d.Panels {
		assert.False(t, ids[p.ID], "panel id %d twice", p.ID)
		ids[p.ID] = true
		assert.Equal(t, "prometheus", p.Datasource.Type, p.Title)
		assert.Equal(t, "${datasource}", p.Datasource.UID, p.Title)
		assert.Positive(t, p.GridPos.W*p.GridPos.H, p.Title)
		assert.LessOrEqual(t, p.GridPos.X+p.GridPos.W, 24, p.Title)
		require.NotEmpty(t, p.Targets, p.Title)
		for _, q := range p.Targets {
			assert.NotEmpty(t, q.RefID, p.Title)
			names := metricName.FindAllString(q.Expr, -1)
			require.NotEmpty(t, names, "%s: %s names no metric", p.Title, q.Expr)
			var grouped []string
			for _, m := range byLabels.FindAllStringSubmatch(q.Expr, -1) {
				for l := range strings.SplitSeq(m[1], ",") {
					if l = strings.TrimSpace(l); l != "le" && l != "job" && l != "instance" {
						grouped = append(grouped, l)
					}
				}
			}
			for _, name := range names {
				named[name] = true
				_, ok := served.family(name)
				if !assert.True(t, ok, "%s: %s is not on /metrics", p.Title, name) {
					continue
				}
				for _, l := range grouped {
					assert.True(t, served.labels[name][l], "%s: %s has no label %q", p.Title, name, l)
				}
			}
		}
	}
	// The dashboard shows what the docs' metrics table promises.
	for _, want := range []string{"ordertwin_product_orders", "ordertwin_resource_order_items", "ordertwin_resource_order_items_completed_total",
		"ordertwin_adapter_latency_virtual_seconds_bucket", "ordertwin_retries_total", "ordertwin_engine_queue_depth",
		"ordertwin_engine_behind_virtual_seconds", "ordertwin_engine_virtual_time_seconds"} {
		assert.True(t, named[want], "the dashboard shows %s", want)
	}
	assert.True(t, slices.Contains(vars, "job"))
}

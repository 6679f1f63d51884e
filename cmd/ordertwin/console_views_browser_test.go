package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/twin"
	"github.com/ordertwin/ordertwin/ui"
)

// failFirst has the page's first request to a URL that matches pattern
// answered with a 500 (a TMF error, "injected by the test"), and holds the
// ones after it until release is called; from then on they go through.
func failFirst(t testing.TB, ctx context.Context, pattern string) (release func()) {
	t.Helper()
	paused := make(chan fetch.RequestID, 256)
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			select {
			case paused <- e.RequestID:
			default: // more than the test makes: it fails at its poll
			}
		}
	}))
	_, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: pattern}}})
	require.NoError(t, err)
	released := make(chan struct{})
	go func() {
		released := released // nil once released
		pass := func(id fetch.RequestID) {
			_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id})
		}
		var held []fetch.RequestID
		for n := 0; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-released:
				for _, id := range held {
					pass(id)
				}
				held, released = nil, nil
			case id := <-paused:
				switch {
				case n == 0:
					_, _ = chromedp.Call(ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{RequestID: id, ResponseCode: http.StatusInternalServerError,
						ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "application/json"}},
						Body:            []byte(`{"code":"500","reason":"injected","message":"injected by the test"}`)})
				case released != nil:
					held = append(held, id)
				default:
					pass(id)
				}
			}
		}
	}()
	return func() { close(released) }
}

// signIn opens the console of s and signs in as operations.
func signIn(t testing.TB, ctx context.Context, s running) string {
	t.Helper()
	token := devToken(t, s.db, auth.Operations, "")
	signInWith(t, ctx, "http://"+s.addr+"/", token)
	poll(t, ctx, "the stream", `document.querySelector("#status").dataset.state === "live"`, 30*time.Second)
	return token
}

// getJSON reads path of s with token into v.
func getJSON(t testing.TB, s running, token, path string, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+s.addr+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, path)
	require.NoError(t, json.NewDecoder(res.Body).Decode(v))
}

// count is how many elements match a selector in the page.
func count(t testing.TB, ctx context.Context, sel string) int {
	t.Helper()
	return eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
}

// The pilot of the worked example in a browser, served at an hour a
// second: the Gantt shows three waves and five sites against their
// targets; the pilot site's plan is the seed's orchestration plan — six
// items, the bearer and the CE router first, the VLAN after the bearer,
// the IP profile after the VLAN, the SLA probe after the QoS policy —
// an arrow for each dependency of its resource order, and its items'
// states follow the stream: the network side completes within hours
// (seed: T+5 to T+7 hours) while the CE router is still on its way.
func TestConsolePilotViewsInBrowser(t *testing.T) {
	ctx := browser(t)
	s := serveInProcess(t, example, "--scale", "3600")
	const order = "PO-2024-01203"
	token := signIn(t, ctx, s)
	poll(t, ctx, "the Gantt", `document.querySelectorAll("#gantt .site-row").length === 5`, 30*time.Second)
	assert.Equal(t, 3, count(t, ctx, "#gantt .wave-row"), "Pilot, Wave 1, Wave 2")
	assert.Equal(t, 8, count(t, ctx, "#gantt svg .target"), "each wave and each site against its wave's target")

	poll(t, ctx, "the plan of MELB", `document.querySelectorAll("#plan .node").length === 6`, 30*time.Second)
	layer := func(rfs string) float64 {
		return eval[float64](t, ctx, fmt.Sprintf(`[...document.querySelectorAll("#plan .node")].find((g) => g.querySelector(".rfs").textContent === %q).transform.baseVal[0].matrix.e`, rfs))
	}
	assert.Equal(t, layer("GPON-Bearer"), layer("CE-Router"), "no prerequisites: both start at once")
	assert.Less(t, layer("GPON-Bearer"), layer("VLAN-Service"), "the VLAN is configured on the bearer")
	assert.Less(t, layer("VLAN-Service"), layer("IP-Profile"), "IP addressing is bound to the VLAN")
	assert.Less(t, layer("GPON-Bearer"), layer("QoS-Policy"))
	assert.Less(t, layer("QoS-Policy"), layer("SLA-Monitoring"), "SLA probes measure QoS-policed traffic")
	var ros []struct {
		OrderItem []struct {
			ID                    string `json:"id"`
			OrderItemRelationship []struct {
				OrderItem struct {
					ItemID string `json:"itemId"`
				} `json:"orderItem"`
			} `json:"orderItemRelationship"`
		} `json:"orderItem"`
	}
	getJSON(t, s, token, "/tmf-api/resourceOrderingManagement/v4/resourceOrder?externalId=SO-001/MELB", &ros)
	require.Len(t, ros, 1)
	var want []string
	for _, it := range ros[0].OrderItem {
		for _, rel := range it.OrderItemRelationship {
			want = append(want, rel.OrderItem.ItemID+">"+it.ID)
		}
	}
	assert.Len(t, want, 4, "seed: VLAN after bearer, IP after VLAN, QoS after bearer, SLA after QoS")
	assert.ElementsMatch(t, want, eval[[]string](t, ctx, `[...document.querySelectorAll("#plan .edge")].map((e) => e.dataset.from + ">" + e.dataset.to)`))

	node := func(rfs string) string {
		return fmt.Sprintf(`[...document.querySelectorAll("#plan .node")].find((g) => g.querySelector(".rfs").textContent === %q).dataset.state`, rfs)
	}
	poll(t, ctx, "the QoS policy applied", node("QoS-Policy")+` === "completed"`, time.Minute)
	for _, rfs := range []string{"GPON-Bearer", "VLAN-Service", "IP-Profile"} {
		assert.Equal(t, "completed", eval[string](t, ctx, node(rfs)), rfs)
	}
	assert.NotEqual(t, "completed", eval[string](t, ctx, node("CE-Router")), "the router is shipped over days")
	assert.Equal(t, "inProgress", eval[string](t, ctx, fmt.Sprintf(`document.querySelector('#gantt .wave-row[data-entity=%q]').dataset.state`, order+"/Pilot")))
	screenshotOf(t, ctx, "#gantt-view, #plan-view", "console-pilot.png")
}

// The worked example followed to its end in a browser, served at half a
// day a second (seed: pilot at T+5 days, Wave 1 at T+20, Wave 2 and the
// order at T+35): the Gantt's
// waves complete, none late; the entity map counts the seed's entities
// ("Entities Created by This Order"); the resource use is the twin's, as
// its endpoint answers. The first read of the resource use fails: the
// banner says why until a read of it succeeds.
func TestConsoleViewsInBrowser(t *testing.T) {
	ctx := browser(t)
	release := failFirst(t, ctx, "*"+ui.ResourceUsePath+"*")
	s := serveInProcess(t, example, "--scale", "43200")
	const order = "PO-2024-01203"
	token := signIn(t, ctx, s)
	poll(t, ctx, "the failed read shown", `document.querySelector("#error").textContent.includes("injected by the test")`, time.Minute)
	release()
	poll(t, ctx, "the banner gone once a read succeeds", `document.querySelector("#error").hidden`, 30*time.Second)
	// Wave 1's Sydney sites wait a fortnight for their P2P handoff: the
	// page shows them in progress for most of the wave.
	poll(t, ctx, "Wave 1 in progress", fmt.Sprintf(`document.querySelector('#gantt .wave-row[data-entity=%q]')?.dataset.state === "inProgress"`, order+"/Wave 1"), time.Minute)
	// The Gantt is redrawn a few times a second: it has caught up with
	// the waves the order's view shows.
	poll(t, ctx, "the Gantt in step", `[...document.querySelectorAll("#waves .wave")].every((w) =>
		document.querySelector('#gantt .wave-row[data-entity="' + w.dataset.entity + '"]')?.dataset.state === w.querySelector(".state").dataset.state)`, 30*time.Second)
	screenshotOf(t, ctx, "#orders-view, #order-view, #gantt-view", "console-rollout.png")
	poll(t, ctx, "the order completed", fmt.Sprintf(`document.querySelector('#orders tr[data-id=%q]')?.dataset.state === "completed"`, order), 2*time.Minute)
	poll(t, ctx, "every wave completed in the Gantt", `[...document.querySelectorAll("#gantt .wave-row")].every((g) => g.dataset.state === "completed")`, 30*time.Second)
	assert.Equal(t, 0, count(t, ctx, `#gantt [data-late="true"]`), "the worked example is on time: T+5, T+20, T+35 against T+14, T+30, T+45")
	poll(t, ctx, "the pilot's plan completed", `[...document.querySelectorAll("#plan .node")].every((g) => g.dataset.state === "completed")`, 30*time.Second)

	// The entity map: the seed's "Entities Created by This Order".
	poll(t, ctx, "the resources typed", `document.querySelector('#entity-map tr[data-label="Resource: OLTPort"]') !== null`, 30*time.Second)
	seed := map[string]int{"Product Order": 1, "Product Order Item": 5, "Service Order": 3, "Service Order Item": 15,
		"Resource Order": 5, "Resource Order Item": 30, "Product Instance": 5, "Service Instance": 15,
		"Resource: OLTPort": 3, "Resource: P2PHandoff": 2, "Resource: VLAN": 5, "Resource: IPv4Subnet": 5,
		"Resource: QoSPolicy": 5, "Resource: TWAMPProbe": 5, "Resource: CPE": 5}
	for label, n := range seed {
		poll(t, ctx, label, fmt.Sprintf(`document.querySelector('#entity-map tr[data-label=%q]')?.dataset.count === %q`, label, fmt.Sprint(n)), 10*time.Second)
	}
	assert.Equal(t, "twin", eval[string](t, ctx, `document.querySelector('#entity-map tr[data-label="Resource: VLAN"] .holder').textContent`))
	assert.Equal(t, "15 active", eval[string](t, ctx, `document.querySelector('#entity-map tr[data-kind="service"] .states').textContent.trim()`))
	eval[chromedp.Void](t, ctx, `document.querySelectorAll('#entity-map tr[data-kind="serviceOrder"] details, #entity-map tr[data-kind="productOrder"] details').forEach((d) => d.open = true)`)

	// Resource use: what the page shows is what the twin answers.
	var use twin.Use
	getJSON(t, s, token, ui.ResourceUsePath, &use)
	require.NotEmpty(t, use.OLTs)
	poll(t, ctx, "the resource use", `document.querySelector('#resources tr[data-id="OLT-SOUTH-03"]') !== null`, 30*time.Second)
	for _, o := range use.OLTs {
		assert.Equal(t, fmt.Sprint(o.Used), eval[string](t, ctx, fmt.Sprintf(`document.querySelector('#resources tr[data-id=%q]').dataset.used`, o.ID)), o.ID)
	}
	for _, p := range use.VLANPools {
		assert.Equal(t, fmt.Sprint(p.Size-p.Used), eval[string](t, ctx, fmt.Sprintf(`document.querySelector('#resources tr[data-id=%q]').dataset.free`, p.ID)), p.ID)
	}
	assert.True(t, eval[bool](t, ctx, `document.querySelector("#error").hidden`), eval[string](t, ctx, `document.querySelector("#error").textContent`))
	screenshotOf(t, ctx, "#gantt-view", "console-complete.png")
	screenshotOf(t, ctx, "#entities-view", "console-entities.png")
	screenshotOf(t, ctx, "#resources-view", "console-resources.png")
}

// The worked example's what-if, served: Brisbane Office 2 is held for OLT
// capacity, its bar amber in the Gantt; planning adds a line card at T+25
// days and the site goes into a wave of its own, which the Gantt adds;
// the site ends after Wave 2's target (T+45 days): late, and red (seed:
// "What-If Scenarios"; the scenario expects completion at T+50 days).
func TestConsoleBrisbaneGanttInBrowser(t *testing.T) {
	ctx := browser(t)
	s := serveInProcess(t, "../../scenarios/brisbane-capacity.yaml", "--scale", "86400")
	signIn(t, ctx, s)
	const bne2 = `#gantt .site-row[data-entity="POI-005"]`
	poll(t, ctx, "BNE2 held", fmt.Sprintf(`document.querySelector(%q)?.dataset.state === "held"`, bne2), time.Minute)
	poll(t, ctx, "BNE2 completed", fmt.Sprintf(`document.querySelector(%q)?.dataset.state === "completed"`, bne2), 2*time.Minute)
	poll(t, ctx, "the added wave", `document.querySelectorAll("#gantt .wave-row").length === 4`, 30*time.Second)
	assert.Equal(t, "true", eval[string](t, ctx, fmt.Sprintf(`document.querySelector(%q).dataset.late`, bne2)), "BNE2 ends after Wave 2's target")
	assert.Equal(t, "false", eval[string](t, ctx, `document.querySelector('#gantt .site-row[data-entity="POI-004"]').dataset.late`), "BNE1 is on time")
	assert.Equal(t, 1, count(t, ctx, `#gantt .site-row[data-late="true"] .bar.late`))
}

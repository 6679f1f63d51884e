package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/ui"
)

// The console's controls in a browser, on the worked example served at a
// virtual day a second: paused from the page, the engine's virtual time
// stands (the clock's API says so, read after the page has read it again
// and again); resumed, it runs on. A what-if of two library scenarios run
// from the page is drawn side by side: a histogram and a CDF for the
// order and each wave, with the odds of each target.
func TestConsoleControlsInBrowser(t *testing.T) {
	ctx := browser(t)
	s := serveInProcess(t, example, "--scale", "86400")
	token := devToken(t, s.db, auth.Admin, "")
	signInWith(t, ctx, "http://"+s.addr+"/", token)
	poll(t, ctx, "the clock", `ordertwinControls.clock()?.state === "running"`, 30*time.Second)
	clock := func() clockAnswer {
		var c clockAnswer
		require.Equal(t, http.StatusOK, call(t, http.MethodGet, "http://"+s.addr+ui.ClockPath, token, "", &c))
		return c
	}

	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("clock-pause"))))
	poll(t, ctx, "the clock paused", `ordertwinControls.clock()?.state === "paused"`, 30*time.Second)
	paused := clock()
	require.Equal(t, "paused", paused.State)
	// The page reads the clock each second: two more readings are two
	// real seconds, two virtual days had it run.
	reads := eval[int](t, ctx, `ordertwinControls.reads()`)
	poll(t, ctx, "two more readings", fmt.Sprintf(`ordertwinControls.reads() >= %d`, reads+2), 30*time.Second)
	still := clock()
	assert.Equal(t, paused.VirtualTime, still.VirtualTime, "paused: virtual time stands")
	assert.Equal(t, paused.EngineTime, still.EngineTime, "paused: the engine takes nothing later")
	assert.Equal(t, "paused at "+paused.VirtualTime, eval[string](t, ctx, `document.querySelector("#controls-answer").textContent.replace(/^pause: /, "")`))

	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("clock-resume"))))
	poll(t, ctx, "the clock running", `ordertwinControls.clock()?.state === "running"`, 30*time.Second)
	require.Eventually(t, func() bool { return clock().VirtualTime != paused.VirtualTime }, 30*time.Second, 20*time.Millisecond,
		"resumed, virtual time runs on")

	// A what-if of the worked example beside the flaky NETCONF case.
	poll(t, ctx, "the library", `document.querySelectorAll("#whatif-b option").length > 5`, 30*time.Second)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("whatif-a"), "globaltech-5site.yaml"),
		chromedp.SetValue(chromedp.ID("whatif-b"), "flaky-netconf.yaml"),
		chromedp.SetValue(chromedp.ID("whatif-runs"), "60"),
		chromedp.SetValue(chromedp.ID("whatif-seed"), "7"),
		chromedp.Click(chromedp.CSS("#whatif-form button[type=submit]")),
	))
	poll(t, ctx, "the distributions drawn", `document.querySelectorAll("#whatif-results figure svg").length >= 8`, 2*time.Minute)
	for _, sc := range []string{"globaltech-5site.yaml", "flaky-netconf.yaml"} {
		fig := fmt.Sprintf(`document.querySelector('#whatif-results figure[data-of="order"][data-scenario=%q]')`, sc)
		bars := eval[int](t, ctx, fig+`.querySelectorAll("rect.bar").length`)
		assert.Equal(t, 24, bars, "%s: the order's histogram", sc)
		runs := eval[int](t, ctx, `[...`+fig+`.querySelectorAll("rect.bar")].reduce((n, r) => n + Number(r.dataset.count), 0)`)
		assert.Equal(t, 60, runs, "%s: every run that completed is in a bar", sc)
		assert.True(t, eval[bool](t, ctx, fig+`.querySelector("polyline.cdf") !== null`), "%s: the CDF", sc)
		assert.Regexp(t, `P50 T\+\d+d( \d+h)?, target T\+\d+d: \d+\.\d% on time`, eval[string](t, ctx, fig+`.querySelector("figcaption").textContent`), sc)
	}
	assert.Equal(t, 2, eval[int](t, ctx, `document.querySelectorAll('#whatif-results figure[data-of="Wave 1"]').length`),
		"the waves side by side")
	eval[chromedp.Void](t, ctx, `document.querySelector("#whatif-view").scrollIntoView()`)
	screenshotOf(t, ctx, "#whatif-view", "console-whatif.png")
}

// The controls that place and change orders, from the page, on the live
// default (no orders): a library scenario started shows its order; a fault
// injected is listed; an order placed from a scenario's quote, edited in
// the form, is a second order; the first cancelled from the page, its cancellation
// is answered (the order placed from the form may be rejected by COM's
// checks: it is listed all the same).
func TestConsoleOrderControlsInBrowser(t *testing.T) {
	ctx := browser(t)
	s := serveInProcess(t, "--scale", "86400")
	token := devToken(t, s.db, auth.Admin, "")
	signInWith(t, ctx, "http://"+s.addr+"/", token)
	poll(t, ctx, "the library", `document.querySelectorAll("#run-scenario option").length > 5`, 30*time.Second)
	answer := `document.querySelector("#controls-answer")`
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("run-scenario"), "globaltech-5site.yaml"),
		chromedp.Click(chromedp.CSS("#run-form button")),
	))
	poll(t, ctx, "the scenario started", answer+`.textContent.startsWith("start globaltech-5site.yaml: PO-")`, 30*time.Second)
	poll(t, ctx, "its order listed", `document.querySelectorAll("#orders tbody tr").length === 1`, 30*time.Second)
	started := eval[string](t, ctx, answer+`.textContent.match(/: (PO-[^ ]+)/)[1]`)

	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("fault-name"), "ipam-flaky"),
		chromedp.SetValue(chromedp.ID("fault-kind"), "transient"),
		chromedp.SetValue(chromedp.ID("fault-system"), "ipam"),
		chromedp.SetValue(chromedp.ID("fault-probability"), "0.5"),
		chromedp.Click(chromedp.CSS("#fault-form button")),
	))
	poll(t, ctx, "the fault listed", `document.querySelector("#fault-rules").textContent.includes("ipam-flaky (transient)")`, 30*time.Second)
	var faults []struct {
		Name   string
		Lifted bool
	}
	require.Equal(t, http.StatusOK, call(t, http.MethodGet, "http://"+s.addr+ui.FaultPath, token, "", &faults))
	assert.Equal(t, "ipam-flaky", faults[0].Name)
	// The form says what a rule of empty fields would hit; the rule
	// listed is lifted with its button.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("fault-system"), ""),
		chromedp.SetValue(chromedp.ID("fault-probability"), ""),
	))
	eval[bool](t, ctx, `document.querySelector("#fault-form").dispatchEvent(new Event("input"))`)
	assert.Equal(t, "hits every one of the calls to every system, until lifted", eval[string](t, ctx, `document.querySelector("#fault-scope").textContent`))
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#fault-rules button[aria-label="lift fault ipam-flaky"]`))))
	poll(t, ctx, "the fault lifted", `document.querySelector("#fault-rules").textContent.includes("ipam-flaky (transient): 0 hits, lifted")`, 30*time.Second)
	require.Equal(t, http.StatusOK, call(t, http.MethodGet, "http://"+s.addr+ui.FaultPath, token, "", &faults))
	assert.True(t, faults[0].Lifted)

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#place summary")),
		chromedp.SetValue(chromedp.ID("place-from"), "speed-upgrade.yaml"),
		chromedp.Click(chromedp.ID("place-fill")),
	))
	poll(t, ctx, "the quote filled", `document.querySelector("#place-quote").value.includes("quoteItem")`, 30*time.Second)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#place-form button[type=submit]"))))
	poll(t, ctx, "the order placed", answer+`.textContent.startsWith("place: quote ")`, 30*time.Second)
	placed := eval[string](t, ctx, answer+`.textContent.match(/order (PO-[^ ]+)/)[1]`)
	poll(t, ctx, "the placed order listed", fmt.Sprintf(`document.querySelector('#orders tr[data-id=%q]') !== null`, placed), 30*time.Second)

	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("change-order"), started),
		chromedp.SetValue(chromedp.ID("change-action"), "cancel"),
		chromedp.Click(chromedp.CSS("#change-form button")),
	))
	poll(t, ctx, "the cancellation answered", answer+`.textContent.startsWith("cancel on `+started+`: ") && !`+answer+`.textContent.endsWith("…")`, 30*time.Second)
	assert.Regexp(t, `^cancel on `+started+`: cancellation \S+ \(\w+\)$`, eval[string](t, ctx, answer+`.textContent`))
	assert.Equal(t, "false", eval[string](t, ctx, answer+`.dataset.failed`))
}

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/auth"
)

// browserTestsEnv, when set (CI sets it, .ci/run), makes the browser tests
// fail when Chromium is missing instead of skipping them.
const browserTestsEnv = "ORDERTWIN_BROWSER_TESTS"

// screenshotsEnv, when set to a folder, makes the browser tests write
// screenshots of the console's views there (docs/console holds those the
// README shows: ORDERTWIN_SCREENSHOTS=$PWD/docs/console
// ORDERTWIN_BROWSER_TESTS=1 go test -run Browser ./cmd/ordertwin).
const screenshotsEnv = "ORDERTWIN_SCREENSHOTS"

// maxScreenshot is the most bytes a screenshot may take in the repository.
const maxScreenshot = 200 << 10

// screenshotOf writes a PNG of the elements sel matches (the box around
// them all) as name in the folder of screenshotsEnv, when it is set.
func screenshotOf(t testing.TB, ctx context.Context, sel, name string) {
	t.Helper()
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSSAll(sel)))
	require.NoError(t, err, "screenshot of %s", sel)
	assert.Less(t, len(png), maxScreenshot, "%s of %s is too big for the repository", name, sel)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), png, 0o644))
}

// browser starts a headless Chromium for the test, or skips the test when
// there is none and browserTestsEnv is not set.
func browser(t testing.TB) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv(browserTestsEnv) != "" {
			t.Fatalf("%s is set and there is no chromium on PATH: install Debian's chromium (apt-get install chromium)", browserTestsEnv)
		}
		t.Skipf("no chromium on PATH (set %s=1 to make this a failure)", browserTestsEnv)
	}
	// The whole test is bounded: its browser stops with this context.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1400, 1000))
	ctx, stopAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(stopAlloc)
	ctx, stopBrowser := chromedp.NewContext(ctx)
	t.Cleanup(stopBrowser)
	// Chromium starts now, before the test serves anything: a server's
	// clock runs from its start, and a browser may take seconds to come.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	return ctx
}

// signInWith opens the console at url and signs in with token.
func signInWith(t testing.TB, ctx context.Context, url, token string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.CSS("#signin button")),
	))
}

// poll waits until the expression is true in the page, for at most
// timeout: what the page shows arrives over the stream.
func poll(t testing.TB, ctx context.Context, what, expression string, timeout time.Duration) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expression, chromedp.WithPollingTimeout(timeout)))
	require.NoError(t, err, "waiting for %s (%s)", what, expression)
}

func eval[T any](t testing.TB, ctx context.Context, expression string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expression))
	require.NoError(t, err, expression)
	return v
}

// The console in a browser, on the worked example served at a virtual day
// a second: it signs in with a token, shows the order, its five
// sites and its waves live; the pilot completes and Wave 1 starts
// (seed: T+5 days); its socket dropped during Wave 1, it reconnects and
// follows the order to completion (T+35 days) having received every
// record once, in order.
func TestConsoleInBrowser(t *testing.T) {
	ctx := browser(t)
	s := serveInProcess(t, example, "--scale", "86400")
	const order = "PO-2024-01203"
	token := devToken(t, s.db, auth.Operations, "")
	signInWith(t, ctx, "http://"+s.addr+"/", token)
	poll(t, ctx, "the stream", `document.querySelector("#status").dataset.state === "live"`, 30*time.Second)
	poll(t, ctx, "the order", fmt.Sprintf(`document.querySelector('#orders tr[data-id=%q]') !== null`, order), 30*time.Second)
	poll(t, ctx, "the five sites", `document.querySelectorAll('#tree details[data-entity^="POI-"]').length === 5`, 30*time.Second)
	// The timeline keeps each transition: however late the page draws, it
	// shows the pilot completed, then Wave 1 started.
	went := func(wave, state string) string {
		return fmt.Sprintf(`document.querySelector('#timeline li[data-entity=%q][data-state=%q]') !== null`, order+"/"+wave, state)
	}
	poll(t, ctx, "the pilot completed", went("Pilot", "completed"), time.Minute)
	poll(t, ctx, "Wave 1 started", went("Wave 1", "inProgress"), time.Minute)

	// Mid-rollout: the socket goes; the page reconnects from the last
	// seq it was sent.
	eval[chromedp.Void](t, ctx, `document.querySelectorAll('#tree details[data-entity^="POI-"]').forEach((d, i) => { if (i < 2) d.open = true; })`)
	poll(t, ctx, "the first site's resource orders", `document.querySelector('#tree details[data-entity^="RO-"]') !== null`, 30*time.Second)
	orderState := fmt.Sprintf(`document.querySelector('#orders tr[data-id=%q]').dataset.state`, order)
	require.Equal(t, "inProgress", eval[string](t, ctx, orderState), "the socket is dropped mid-rollout")
	eval[chromedp.Void](t, ctx, `ordertwin.dropSocket()`)
	poll(t, ctx, "the reconnection", `ordertwin.stats().reconnects === 1 && document.querySelector("#status").dataset.state === "live"`, 30*time.Second)
	poll(t, ctx, "the order completed", orderState+` === "completed"`, 2*time.Minute)
	for _, w := range []string{"Pilot", "Wave 1", "Wave 2"} {
		poll(t, ctx, w+" completed", fmt.Sprintf(`document.querySelector('#waves [data-entity=%q] .state')?.dataset.state === "completed"`, order+"/"+w), 30*time.Second)
	}

	type stats struct {
		Last, Head, Received, Duplicates, Reconnects int64
	}
	st := eval[stats](t, ctx, `ordertwin.stats()`)
	seqs := eval[[]int64](t, ctx, `ordertwin.seqs()`)
	assert.Equal(t, int64(0), st.Duplicates, "no record was received twice")
	assert.Equal(t, int64(1), st.Reconnects)
	want := make([]int64, st.Last)
	for i := range want {
		want[i] = int64(i + 1)
	}
	assert.Equal(t, want, seqs, "operations sees every record: 1 … %d, none missing, none repeated", st.Last)
	assert.True(t, eval[bool](t, ctx, `document.querySelector("#error").hidden`), eval[string](t, ctx, `document.querySelector("#error").textContent`))
	assert.Positive(t, eval[int](t, ctx, `document.querySelectorAll("#log-rows div").length`), "the event log shows rows")
	assert.Equal(t, 3, eval[int](t, ctx, `document.querySelectorAll("#waves .wave").length`), "Pilot, Wave 1, Wave 2")
}

// BenchmarkConsoleNationalRollout measures the console following the
// national rollout (400 orders, 10,000 sites, about half a million
// records) served at ten virtual days a second: the page lists every
// order and takes the first 100,000 records, each once. It reports the
// longest task the page ran meanwhile (Chromium's long-task timing: a
// frame it could not draw) as longest-ms, and of the page's own updates
// of a frame the time 90% of them stayed within as update-p90-ms and the
// longest as update-ms.
//
// The server runs in its own process at the lowest CPU priority (nice 19),
// as if on another machine: on two cores, a server at full speed beside
// the browser would otherwise take the CPU the page draws with, and the
// figure would measure the machine, not the page. Nine frames' updates
// in ten must stay under maxFrameUpdate90, and no task may come near a
// freeze.
func BenchmarkConsoleNationalRollout(b *testing.B) {
	for b.Loop() {
		followNational(b)
	}
}

// maxFrameUpdate90 is the most that nine frames' updates in ten may take.
// Quiet, 90% take under 17-26 ms (the page spends up to 10 ms a frame
// applying records, the rest drawing them), and the longest 45-75 ms. The
// bound is on the 90th percentile, not the longest: a page that redraws
// what it need not is slow in most frames, whereas a single slow frame is
// as often the machine's, another process having taken the CPU (the
// longest update on a busy CI machine once took 252 ms, 211 of them in
// the timeline's layout).
const maxFrameUpdate90 = 100.0 // ms

// maxTask is the longest task the page may run (rendering and parsing
// included) before it counts as frozen. Quiet, the longest is 110-260 ms.
const maxTask = 1000.0 // ms

func followNational(b *testing.B) {
	ctx := browser(b)
	db := filepath.Join(b.TempDir(), "serve.db")
	srv := startServeUnder(b, []string{"nice", "-n", "19"}, io.Discard, "../../scenarios/national-rollout.yaml",
		"--scale", "864000", "--db", db, "--addr", "127.0.0.1:0")
	b.Cleanup(func() { srv.stop(b) })
	token := devToken(b, db, auth.Operations, "")
	signInWith(b, ctx, srv.base+"/", token)
	poll(b, ctx, "every order listed", `document.querySelectorAll("#orders tbody tr").length === 400`, 2*time.Minute)
	poll(b, ctx, "100,000 records", `ordertwin.stats().last >= 100000`, 2*time.Minute)
	type frames struct {
		Longest, FlushLongest                     float64
		LongTasks, Pending                        int
		Updates, UpdateMedian, Update90, Update99 int
		Slowest                                   map[string]float64
	}
	f := eval[frames](b, ctx, `ordertwin.frames()`)
	st := eval[map[string]int64](b, ctx, `ordertwin.stats()`)
	b.Logf("national rollout: %d records received, %d more committed; longest task %.0f ms, %d tasks over 50 ms; %d frames' updates: median %d ms, 90%% within %d ms, 99%% within %d ms, longest %.0f ms (%v)",
		st["received"], st["head"]-st["last"], f.Longest, f.LongTasks, f.Updates, f.UpdateMedian, f.Update90, f.Update99, f.FlushLongest, f.Slowest)
	b.ReportMetric(f.Longest, "longest-ms")
	b.ReportMetric(float64(f.LongTasks), "long-tasks")
	b.ReportMetric(float64(f.Update90), "update-p90-ms")
	b.ReportMetric(f.FlushLongest, "update-ms")
	assert.Less(b, float64(f.Update90), maxFrameUpdate90, "the frames' updates stuttered: the slowest of each part %v", f.Slowest)
	assert.Less(b, f.Longest, maxTask, "the page froze")
	assert.Zero(b, st["duplicates"])
	assert.True(b, eval[bool](b, ctx, `document.querySelector("#error").hidden`), eval[string](b, ctx, `document.querySelector("#error").textContent`))
	seqs := eval[[]int64](b, ctx, `ordertwin.seqs().slice(0, 100000)`)
	for i, seq := range seqs {
		if !assert.Equal(b, int64(i+1), seq, "record %d", i+1) {
			break
		}
	}
}

// A token the server no longer takes (expired, or of another server's
// issuer) signs the page out with a banner saying so, whether a
// reconnection of the stream meets the refusal or a control does: the
// page stood "reconnecting…" for ever, its clock reading 401s.
func TestConsoleSignsOutARefusedToken(t *testing.T) {
	ctx := browser(t)
	s := serveInProcess(t, "--scale", "1")
	token := devToken(t, s.db, auth.Operations, "")
	live := `document.querySelector("#status").dataset.state === "live"`
	signedOut := `document.querySelector("#status").dataset.state === "signedOut" && document.body.textContent.includes("the token was refused: sign in again")`
	refuse := `sessionStorage.setItem("ordertwin.token", "not-a-token")`

	signInWith(t, ctx, "http://"+s.addr+"/", token)
	poll(t, ctx, "the stream live", live, 30*time.Second)
	eval[chromedp.Void](t, ctx, refuse+`; ordertwin.dropSocket()`)
	poll(t, ctx, "signed out by the stream's refusal", signedOut, 30*time.Second)

	signInWith(t, ctx, "http://"+s.addr+"/", token)
	poll(t, ctx, "the stream live again", live+` && !document.querySelector("#clock-controls").hidden`, 30*time.Second)
	eval[chromedp.Void](t, ctx, refuse)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("clock-pause"))))
	poll(t, ctx, "signed out by a control's refusal", signedOut, 30*time.Second)
}

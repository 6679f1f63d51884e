package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/auth"
)

// withoutEvents writes a copy of a library scenario without its timed
// events (no capacity built, no remediation), its catalog and network
// found where the library keeps them: what it holds only an operator
// resolves.
func withoutEvents(t testing.TB, name string) string {
	t.Helper()
	lib, err := filepath.Abs("../../scenarios")
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(lib, name))
	require.NoError(t, err)
	var out []string
	skipping := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "events:"):
			skipping = true
			continue
		case skipping && strings.HasPrefix(line, "  "):
			continue
		}
		skipping = false
		line = strings.Replace(line, "catalog: catalog/", "catalog: "+lib+"/catalog/", 1)
		line = strings.Replace(line, "network: networks/", "network: "+lib+"/networks/", 1)
		out = append(out, line)
	}
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o600))
	return path
}

// The Brisbane case in the console, with no line card in the scenario:
// BNE2 is held and TASK-001 is on the worklist; an operator confirms the
// capacity from the page, and BNE2 goes into SO-WAVE3 (seed, what-if).
func TestConsoleWorklistInBrowser(t *testing.T) {
	ctx := browser(t)
	s := serveInProcess(t, withoutEvents(t, "brisbane-capacity.yaml"), "--scale", "864000")
	token := devToken(t, s.db, auth.Operations, "")
	signInWith(t, ctx, "http://"+s.addr+"/", token)
	task := `document.querySelector('#worklist tr[data-id="TASK-001"]')`
	poll(t, ctx, "TASK-001 on the worklist", task+` !== null`, time.Minute)
	assert.Contains(t, eval[string](t, ctx, task+`.textContent`), "BNE2")
	assert.Equal(t, "POI-005", eval[string](t, ctx, task+`.dataset.entity`))
	// Wave 2 completes with BNE1 alone; no late wave while BNE2 is held.
	poll(t, ctx, "Wave 2 completed", `[...document.querySelectorAll('#timeline li')].some(li => li.textContent.includes("SO-WAVE2") && li.dataset.state === "completed")`, time.Minute)
	assert.False(t, eval[bool](t, ctx, `document.querySelector("#timeline").textContent.includes("SO-WAVE3")`))
	screenshotOf(t, ctx, "#worklist-view, #gantt-view", "console-worklist.png")

	// Typed and clicked in the page, in one go: the stream may redraw the
	// worklist between a node's lookup by the browser's protocol and a
	// click on it.
	eval[chromedp.Void](t, ctx, `(() => {
		const note = document.getElementById("worklist-note");
		note.value = "line card 2 fitted in OLT-BNE-07";
		note.dispatchEvent(new Event("input", {bubbles: true}));
		document.querySelector('#worklist tr[data-id="TASK-001"] button[data-action="confirmCapacity"]').click();
	})()`)
	poll(t, ctx, "the action taken", `document.querySelector("#worklist-done").textContent.includes("TASK-001")`, 30*time.Second)
	poll(t, ctx, "SO-WAVE3", `document.querySelector("#timeline").textContent.includes("SO-WAVE3")`, time.Minute)
	poll(t, ctx, "TASK-001 off the worklist", task+` === null`, 30*time.Second)
	assert.True(t, eval[bool](t, ctx, `document.querySelector("#worklist-error").hidden`), eval[string](t, ctx, `document.querySelector("#worklist-error").textContent`))
}

package api_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
)

// Seed, Step 1 ("the phased rollout schedule is captured as order-level
// metadata") and the timeline's "T+1 hr, PO: approved": the product order
// carries its approval and its plan in TMF622 v4 notes, one per wave with
// its service order, state, sites and dates, and its expected completion
// (the last wave's target, T+45 days). The v4 conformance test checks the
// shape; this checks the content.
func TestProductOrderCarriesApprovalAndPlan(t *testing.T) {
	l := apitest.ServeWorkedExample(t)
	defer l.Stop()
	po := apitest.GetMap(t, l, tmf630.ProductOrdering+"/productOrder/PO-2024-01203")

	assert.Equal(t, "2024-07-17T23:00:00Z", po["expectedCompletionDate"], "T+45 days")
	notes, ok := po["note"].([]any)
	require.True(t, ok, "note: %v", po["note"])
	require.Len(t, notes, 4)
	text := map[string]string{}
	for _, n := range notes {
		m := n.(map[string]any)
		assert.Equal(t, "Note", m["@type"])
		text[m["id"].(string)] = m["text"].(string)
	}
	assert.Equal(t, "approved with quote QT-001", text["approval"])
	assert.Equal(t, "Pilot: service order SO-PILOT (SO-001) completed; sites MELB; target 2024-06-16T23:00:00Z; "+
		"released 2024-06-03T01:00:00Z; ended 2024-06-07T23:00:00Z", text["wave:Pilot"])
	assert.Equal(t, "Wave 1: service order SO-WAVE1 (SO-002) completed; sites SYD1, SYD2; target 2024-07-02T23:00:00Z; "+
		"released 2024-06-07T23:00:00Z; ended 2024-06-22T23:00:00Z", text["wave:Wave 1"])
	assert.Contains(t, text["wave:Wave 2"], "Wave 2: service order SO-WAVE2 (SO-003) completed; sites BNE1, BNE2;")
}

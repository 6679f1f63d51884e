package tmf

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

// An entity's item ids as runs of consecutive numbers after one prefix, of
// one width; an id that does not end in 1 to 18 digits stands alone.
func TestIDRuns(t *testing.T) {
	for _, tc := range []struct {
		name  string
		items []string
		runs  []IDRun
	}{
		{"an order's resource order items", []string{"ROI-007", "ROI-008", "ROI-009"}, []IDRun{{"ROI-", 3, 7, 9}}},
		{"a gap starts a run", []string{"SOI-001", "SOI-003", "SOI-004"}, []IDRun{{"SOI-", 3, 1, 1}, {"SOI-", 3, 3, 4}}},
		{"a wider number starts a run", []string{"ROI-998", "ROI-999", "ROI-1000"}, []IDRun{{"ROI-", 3, 998, 999}, {"ROI-", 4, 1000, 1000}}},
		{"an unpadded number is another id", []string{"ROI-7", "ROI-008"}, []IDRun{{"ROI-", 1, 7, 7}, {"ROI-", 3, 8, 8}}},
		{"client item ids", []string{"1", "2", "3", "x"}, []IDRun{{"", 1, 1, 3}, {"x", 0, 0, 0}}},
		{"descending ids", []string{"POI-002", "POI-001"}, []IDRun{{"POI-", 3, 2, 2}, {"POI-", 3, 1, 1}}},
		{"too many digits", []string{"A-1234567890123456789", "A-1234567890123456790"},
			[]IDRun{{"A-1234567890123456789", 0, 0, 0}, {"A-1234567890123456790", 0, 0, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.runs, slices.Collect(IDRuns(slices.Values(tc.items))))
		})
	}

}

// Nth gives back each id of a run, padded as the run's ids are.
func TestIDRunNth(t *testing.T) {
	for _, id := range []string{"ROI-007", "ROI-1000", "ROI-7", "1", "SOI-000000000000000042", "x-0"} {
		r := RunOf(id)
		assert.True(t, r.Numbered(), id)
		assert.Equal(t, id, r.Nth(r.First), id)
	}
	r := IDRun{Prefix: "ROI-", Width: 3, First: 998, Last: 1000}
	assert.Equal(t, "ROI-1000", r.Nth(1000), "a number wider than the run's ids")
	assert.False(t, RunOf("install-ont").Numbered())
	assert.False(t, RunOf("").Numbered())
	assert.False(t, RunOf("A-1234567890123456789").Numbered(), "19 digits")
}

// A range over the runs may stop at any run.
func TestIDRunsStop(t *testing.T) {
	var got []IDRun
	for r := range IDRuns(slices.Values([]string{"A-1", "A-2", "x", "B-1"})) {
		got = append(got, r)
		if r.Prefix == "x" {
			break
		}
	}
	assert.Equal(t, []IDRun{{"A-", 1, 1, 2}, {"x", 0, 0, 0}}, got)
}

package load

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An operation's share of requests failed is compared with the
// baseline's: worse by more than the threshold and by more than a
// percentage point is a regression, named with its reasons; 0 errors
// then 1 of thousands is not (docs/load.md, "Comparing with a baseline").
func TestCompareErrorShare(t *testing.T) {
	op := func(ok uint64, errs map[string]int) *Report {
		return &Report{Operations: map[string]*OperationReport{"read": {OK: ok, Errors: errs, P99: 1}}}
	}
	worse := Compare(op(1000, nil), op(90, map[string]int{"500": 910}), 0.2)
	require.Len(t, worse, 1, "91% of the reads answered 500: not within 20% of a baseline without errors")
	assert.Equal(t, "read errors", worse[0].Figure)
	assert.Equal(t, "read errors: 910 of its 1000 requests failed, 91.0% (500×910), against the baseline's 0.0%", worse[0].String())
	assert.InDelta(t, 91, worse[0].Now, 1e-9)

	for _, c := range []struct {
		name      string
		base, now *Report
		regressed bool
	}{
		{"0 errors, then 1 of 5000", op(5000, nil), op(4999, map[string]int{"503": 1}), false},
		{"0.1%, then 0.9%: 800% worse, under a point", op(999, map[string]int{"503": 1}), op(991, map[string]int{"503": 9}), false},
		{"2%, then 2.3%: within 20%", op(980, map[string]int{"503": 20}), op(977, map[string]int{"503": 23}), false},
		{"2%, then 3.5%", op(980, map[string]int{"503": 20}), op(965, map[string]int{"503": 35}), true},
		{"0, then 2 of 100", op(100, nil), op(98, map[string]int{"timeout": 2}), true},
		{"all failed before, all now", op(0, map[string]int{"409": 10}), op(0, map[string]int{"409": 10}), false},
	} {
		got := Compare(c.base, c.now, 0.2)
		assert.Equal(t, c.regressed, len(got) > 0, "%s: %v", c.name, got)
	}
}

// A latency is compared at a percentile that has at least 10 answers of
// each run above it: the p99 from 1,000 answers well, the p90 from 100,
// none below; and a percentile within a millisecond of the baseline's is
// no regression, however many times it is.
func TestCompareTailWantsAnswers(t *testing.T) {
	op := func(ok uint64, p90, p99 float64) *Report {
		return &Report{Operations: map[string]*OperationReport{"order": {OK: ok, P90: p90, P99: p99}}}
	}
	// 150 answers: the p99 is the second slowest; one slow answer triples it.
	assert.Empty(t, Compare(op(150, 4, 10), op(150, 4.2, 30), 0.2))
	assert.Equal(t, []string{"order p90 compared, not its p99: 150 answers well here, 150 in the baseline; a p99 wants 1000 in each"},
		Uncompared(op(150, 4, 10), op(150, 4.2, 30)))
	worse := Compare(op(150, 4, 10), op(150, 6, 10), 0.2)
	require.Len(t, worse, 1)
	assert.Equal(t, "order p90", worse[0].Figure)

	assert.Empty(t, Compare(op(50, 4, 10), op(50, 40, 100), 0.2))
	assert.Equal(t, []string{"order latency not compared: 50 answers well here, 3000 in the baseline; a p90 wants 100 in each, a p99 1000"},
		Uncompared(op(3000, 4, 10), op(50, 40, 100)))

	assert.Empty(t, Compare(op(3000, 0.3, 0.5), op(3000, 0.3, 1.4), 0.2), "0.9 ms above: noise")
	worse = Compare(op(3000, 0.3, 0.5), op(3000, 0.3, 2), 0.2)
	require.Len(t, worse, 1)
	assert.Equal(t, "order p99 2.00 ms against the baseline's 0.50 ms: 300% worse", worse[0].String())
	assert.Empty(t, Uncompared(op(3000, 0.3, 0.5), op(3000, 0.3, 2)))
}

// A report is no baseline when it was cut short or measured nothing: the
// reason is named.
func TestCheckBaseline(t *testing.T) {
	good := &Report{Operations: map[string]*OperationReport{"quote": {OK: 5}, "order": {OK: 4, Errors: map[string]int{"503": 1}}}}
	assert.NoError(t, good.CheckBaseline())
	down := &Report{Operations: map[string]*OperationReport{"quote": {Errors: map[string]int{"transport": 60}}}}
	assert.EqualError(t, down.CheckBaseline(), "it measured nothing: none of its requests was answered well (quote transport×60)")
	cut := &Report{Stopped: "the maximum duration 1s passed", Operations: good.Operations}
	assert.EqualError(t, cut.CheckBaseline(), "it was cut short (stopped: the maximum duration 1s passed): its figures are of part of its profile")
}

// Two runs compare when they offered the same load: the same profile, the
// mix's weights in the same proportions, as many arrivals. Each
// difference names both; what an older baseline does not give is not
// compared.
func TestUnlike(t *testing.T) {
	base := &Report{Profile: "100/s for 30s", Mix: map[string]int{"order": 100}, Arrivals: 3000}
	assert.Empty(t, Unlike(base, &Report{Profile: "100/s for 30s", Mix: map[string]int{"order": 1, "read": 0}, Arrivals: 3000}))
	assert.Equal(t, []string{
		"the profile 50/s for 30s, the baseline's 100/s for 30s",
		"the mix order=80,read=20, the baseline's order=100",
		"1500 arrivals, the baseline's 3000",
	}, Unlike(base, &Report{Profile: "50/s for 30s", Mix: map[string]int{"order": 80, "read": 20}, Arrivals: 1500}))
	assert.Empty(t, Unlike(&Report{}, &Report{Profile: "50/s", Mix: map[string]int{"read": 1}, Arrivals: 7}))
}

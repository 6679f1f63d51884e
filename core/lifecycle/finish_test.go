package lifecycle

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// An order ends with its items: completed when none failed, partial when
// some did, failed when all did (TMF v4: partial is final).
func TestFinish(t *testing.T) {
	for _, c := range []struct {
		states []string
		want   string
	}{
		{[]string{Completed, Completed}, Complete},
		{[]string{Completed, Failed}, PartComplete},
		{[]string{Failed, Failed}, Fail},
		{[]string{Completed, Cancelled}, Complete},
		{[]string{Failed, Cancelled}, Fail},
		{[]string{Cancelled, Cancelled}, Cancel},
	} {
		assert.Equal(t, c.want, Finish(c.states, func(s *string) string { return *s }), "%v", c.states)
	}
}

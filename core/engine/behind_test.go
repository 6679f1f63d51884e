package engine

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// present is a clock whose present is set by the test.
type present struct{ at time.Duration }

func (p *present) WaitUntil(context.Context, time.Duration) error { return nil }
func (p *present) Present() time.Duration                         { return p.at }

// An engine is behind its clock by how long the earliest input due has
// waited; an idle engine, or one whose next input is not due yet, is not
// behind, however long ago its last step was.
func TestBehind(t *testing.T) {
	clock := &present{}
	e := New(Options{Clock: clock})
	clock.at = time.Hour
	assert.Zero(t, e.Behind(), "nothing waits")
	e.Inject(2*time.Hour, COM, "later")
	assert.Zero(t, e.Behind(), "the next input is not due")
	e.Inject(20*time.Minute, COM, "due")
	assert.Equal(t, 40*time.Minute, e.Behind())
	assert.Zero(t, New(Options{}).Behind(), "a virtual clock has no present")
}

package scenarios

import (
	"context"
	"testing"

	"github.com/ordertwin/ordertwin/core/approval"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// COM signs each approval decision of the workflow ahead, as the
// workflow's answer is queued (approval.Ahead): every decision signed in
// the worked example was found started, and the journal is the same as
// with each signed when it is made (a COM told nothing ahead).
func TestApprovalsSignedAhead(t *testing.T) {
	sc := load(t, globaltech)
	keys := map[string]string{}
	for _, s := range com.Stages {
		keys[s] = approval.NewKey()
	}
	mem := store.NewMemory()
	sys, err := New(sc.Spec, Options{Journal: mem, StageKeys: keys})
	require.NoError(t, err)
	require.NoError(t, sys.Run(context.Background()))
	signed := 0
	for _, r := range mem.Records() {
		if r.Kind == approval.RecordKind {
			signed++
		}
	}
	require.Positive(t, signed)
	assert.Equal(t, uint64(signed), sys.COM.SignedAhead())

	// The same run, nothing anticipated: the same records.
	mem2 := store.NewMemory()
	sys2, err := New(sc.Spec, Options{Journal: mem2, StageKeys: keys})
	require.NoError(t, err)
	sys2.Engine.Handle(engine.COM, notAhead{sys2.COM})
	require.NoError(t, sys2.Run(context.Background()))
	assert.Zero(t, sys2.COM.SignedAhead())
	assert.Equal(t, mem.Records(), mem2.Records())
}

// notAhead is COM without its Anticipate.
type notAhead struct{ *com.COM }

func (notAhead) Anticipate() {}

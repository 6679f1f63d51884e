package approval_test

import (
	"testing"

	"github.com/ordertwin/ordertwin/core/approval"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Open takes any text from a request body: it never panics, and what it
// takes is a whole decision whose signer is the key the event names.
func FuzzOpen(f *testing.F) {
	ev, err := approval.Sign(secret, decision)
	require.NoError(f, err)
	for _, s := range []string{ev, "", "{}", "[]", `{"kind":4648}`, `{"kind":4648,"id":"` + ev[:10] + `"}`, ev[:len(ev)/2]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, event string) {
		d, signer, err := approval.Open(event)
		if err != nil {
			assert.ErrorIs(t, err, approval.ErrSignature)
			return
		}
		assert.NotEmpty(t, d.Quote)
		assert.NotEmpty(t, d.Stage)
		assert.NotEmpty(t, d.Digest)
		assert.Equal(t, approval.Signer(event), signer)
	})
}

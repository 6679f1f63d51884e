package scenarios

import (
	"testing"

	"github.com/ordertwin/ordertwin/core/com"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// §7 finished orders leave memory: with a retention, every finished
// product order leaves COM once its waves and change orders have ended
// and its retention has passed, with its quote; nothing else changes (the
// journal is the one a run that keeps them writes, keptAndRetired); each
// is on the store's shelf as COM shows it, its quote too; the product
// inventory is the same.
func TestRetiredProductOrders(t *testing.T) {
	retired := 0
	for _, file := range snapshotScenarios {
		t.Run(file, func(t *testing.T) {
			keep, gone, j := keptAndRetired(t, file)
			for _, po := range keep.COM.Orders() {
				if gone.COM.Order(po.ID) != nil {
					continue
				}
				require.True(t, lc.IsFinal(lc.ProductOrder, po.State), "%s is %s: it stays", po.ID, po.State)
				d, ok, err := j.Shelved(com.ShelfKind, po.ID)
				require.NoError(t, err)
				require.True(t, ok, "%s is on the shelf", po.ID)
				assert.Equal(t, com.ShelfOrd(po), d.Ord)
				shelved, err := com.Shelved(d.Body)
				require.NoError(t, err)
				assert.Equal(t, *po, *shelved, "%s on the shelf", po.ID)
				retired++
			}
			for _, qv := range keep.COM.Quotes() {
				if _, ok := gone.COM.Quote(qv.ID); ok {
					continue
				}
				d, ok, err := j.Shelved(com.QuoteShelfKind, qv.ID)
				require.NoError(t, err)
				require.True(t, ok, "%s is on the shelf", qv.ID)
				shelved, err := com.ShelvedQuote(d.Body)
				require.NoError(t, err)
				assert.Equal(t, qv, shelved, "%s on the shelf", qv.ID)
			}
			var want, got []tmf.Product
			for _, p := range keep.COM.Products.All() {
				want = append(want, *p)
			}
			for _, p := range gone.COM.Products.All() {
				got = append(got, *p)
			}
			assert.Equal(t, want, got, "the product inventory")
		})
	}
	assert.NotZero(t, retired, "orders left memory")
}

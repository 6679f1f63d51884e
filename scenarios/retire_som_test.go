package scenarios

import (
	"slices"
	"testing"

	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/som"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// §7 finished orders leave memory: with a retention, every finished
// service order leaves SOM once ROM has told it the end of each of its
// sites' resource orders and its retention has passed, and nothing else
// changes: the journal is the one a run that keeps them writes, record
// for record; each is on the store's shelf as SOM shows it, each item's
// service with the state it had when the order left; the service
// inventory is the same, its services leaving memory with the orders
// holding them.
func TestRetiredServiceOrders(t *testing.T) {
	for _, file := range snapshotScenarios {
		t.Run(file, func(t *testing.T) {
			keep, gone, j := keptAndRetired(t, file)

			left := map[string]bool{}
			for _, so := range gone.SOM.Orders() {
				left[so.ID] = true
			}
			retired := 0
			for _, so := range keep.SOM.Orders() {
				if !lc.IsFinal(lc.ServiceOrder, so.State) {
					assert.True(t, left[so.ID], "%s is not finished: it stays", so.ID)
					continue
				}
				d, ok, err := j.Shelved(som.ShelfKind, so.ID)
				if left[so.ID] {
					continue // its sites' resource orders have not all ended
				}
				retired++
				require.NoError(t, err)
				require.True(t, ok, "%s is on the shelf", so.ID)
				assert.Equal(t, tmf.SeqOf(so.ID), d.Ord)
				shelved, err := som.Shelved(d.Body)
				require.NoError(t, err)
				for _, it := range shelved.Items {
					if it.Service.ID != "" {
						assert.NotEmpty(t, it.Service.State, "%s on the shelf: %s shows its service's state", so.ID, it.ID)
					}
				}
				assert.Equal(t, withoutServiceStates(*so), withoutServiceStates(*shelved), "%s on the shelf", so.ID)
				assert.Nil(t, gone.SOM.Order(so.ID), "%s left memory", so.ID)
			}
			if len(keep.SOM.Orders()) > 0 {
				assert.NotZero(t, retired, "orders left memory")
			}
			assert.Equal(t, keep.services(), gone.services(), "the service inventory, from memory and the shelf")
			held := map[string]bool{}
			for _, so := range gone.SOM.Orders() {
				for _, it := range so.Items {
					held[it.Service.ID] = true
				}
			}
			for _, svc := range gone.SOM.Services.All() {
				assert.True(t, held[svc.ID], "%s stays in memory only while an order in memory holds it", svc.ID)
			}
		})
	}
}

// withoutServiceStates is so without the states of its items' services,
// which a shelved order carries as they were when it left memory.
func withoutServiceStates(so tmf.ServiceOrder) tmf.ServiceOrder {
	so.Items = slices.Clone(so.Items)
	for i := range so.Items {
		so.Items[i].Service.State = ""
	}
	return so
}

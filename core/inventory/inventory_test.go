package inventory

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestInventory(t *testing.T) {
	inv := New[string]()
	a, b, c := "a", "b", "c"
	inv.Put("1", &a)
	inv.Put("2", &b)
	inv.Put("1", &c)
	assert.Equal(t, 2, inv.Len())
	assert.Equal(t, "c", *inv.Get("1"))
	assert.Nil(t, inv.Get("3"))
	all := inv.All()
	assert.Equal(t, []*string{&c, &b}, all)
	all[0] = nil
	assert.Equal(t, &c, inv.Get("1"), "All returns a copy of the list")
}

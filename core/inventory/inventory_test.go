package inventory

import (
	"slices"
	"strconv"
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

// An entity removed is gone from Get, Len and All, the others keep their
// order, holes closing as they grow; put again, it goes last.
func TestInventoryRemove(t *testing.T) {
	inv := New[int]()
	vals := make([]int, 10)
	for i := range vals {
		vals[i] = i
		inv.Put(string(rune('a'+i)), &vals[i])
	}
	for _, id := range []string{"b", "d", "e", "f", "h", "h", "z"} {
		inv.Remove(id)
	}
	assert.Equal(t, 5, inv.Len())
	assert.Nil(t, inv.Get("d"))
	assert.Equal(t, 9, *inv.Get("j"))
	var got []int
	for _, v := range inv.All() {
		got = append(got, *v)
	}
	assert.Equal(t, []int{0, 2, 6, 8, 9}, got)
	inv.Put("d", &vals[3])
	inv.Remove("a")
	got = got[:0]
	for _, v := range inv.All() {
		got = append(got, *v)
	}
	assert.Equal(t, []int{2, 6, 8, 9, 3}, got)
	assert.Equal(t, 6, *inv.Get("g"))
}

// An entity leaves when the last order holding it lets it go, not before.
func TestInventoryHolds(t *testing.T) {
	inv := New[string]()
	a := "a"
	inv.Put("1", &a)
	inv.Hold("1")
	inv.Hold("1")
	assert.True(t, inv.Held("1"))
	assert.Nil(t, inv.Release("1"), "one order still holds it")
	assert.Equal(t, &a, inv.Get("1"))
	assert.Equal(t, &a, inv.Release("1"), "the last lets it go")
	assert.Nil(t, inv.Get("1"))
	assert.False(t, inv.Held("1"))
	assert.Nil(t, inv.Release("2"), "nothing to let go")

	// Held before it is put, and still held once removed.
	b := "b"
	inv.Hold("3")
	assert.True(t, inv.Held("3"))
	assert.Nil(t, inv.Get("3"))
	assert.Equal(t, 0, inv.Len())
	inv.Put("3", &b)
	assert.Equal(t, &b, inv.Get("3"))
	assert.Equal(t, 1, inv.Len())
	inv.Remove("3")
	assert.Nil(t, inv.Get("3"))
	assert.True(t, inv.Held("3"), "removed from the list, still held")
	assert.Equal(t, 0, inv.Len())
	assert.Nil(t, inv.Release("3"), "held, but no longer listed")
	assert.False(t, inv.Held("3"))
}

// An inventory larger than a page keeps its order across pages, through
// removals that close the holes and puts after them.
func TestInventoryPages(t *testing.T) {
	inv := New[int]()
	const n = 3*pageSize + 7
	vals := make([]int, n)
	id := func(i int) string { return strconv.Itoa(i) }
	for i := range vals {
		vals[i] = i
		inv.Put(id(i), &vals[i])
	}
	assert.Equal(t, n, inv.Len())
	inv.Hold(id(3))
	var want []int
	for i := range vals {
		if i%3 == 0 {
			want = append(want, i)
			continue
		}
		inv.Remove(id(i)) // past half, the holes close
	}
	assert.Equal(t, len(want), inv.Len())
	assert.Less(t, inv.n, n, "holes were closed")
	assert.Equal(t, len(want), inv.n-inv.holes)
	got := func() []int {
		var out []int
		for _, v := range inv.All() {
			out = append(out, *v)
		}
		return out
	}
	assert.Equal(t, want, got())
	for _, i := range want {
		assert.Equal(t, i, *inv.Get(id(i)))
	}
	assert.True(t, inv.Held(id(3)), "closing the holes keeps the holds")
	assert.Equal(t, &vals[3], inv.Release(id(3)))
	inv.Put(id(1), &vals[1])
	assert.Equal(t, append(slices.DeleteFunc(want, func(i int) bool { return i == 3 }), 1), got(), "put again, it goes last")
	assert.Equal(t, 1, *inv.Get(id(1)))
}

// BenchmarkLifecycle puts, holds, reads twice and releases 100,000
// entities, as ROM does with the resources of the orders it runs.
func BenchmarkLifecycle(b *testing.B) {
	ids := make([]string, 100_000)
	for i := range ids {
		ids[i] = "VLAN-AREA-" + strconv.Itoa(i)
	}
	v := 1
	b.ReportAllocs()
	for b.Loop() {
		inv := New[int]()
		for _, id := range ids {
			inv.Put(id, &v)
			inv.Hold(id)
		}
		for _, id := range ids {
			_ = inv.Get(id)
			_ = inv.Held(id)
		}
		for _, id := range ids {
			inv.Release(id)
		}
	}
}

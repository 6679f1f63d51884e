package roster

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type thing struct {
	Slot
	n int
}

func ns(r *Roster[*thing]) []int {
	var out []int
	for t := range r.All() {
		out = append(out, t.n)
	}
	return out
}

// TestRosterKeepsOrder removes things at random from a roster and from a
// slice alike, adding more as it goes: the roster holds what the slice
// does, in its order, through many compactions.
func TestRosterKeepsOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var r Roster[*thing]
	var want []*thing
	next := 0
	for round := range 5000 {
		if len(want) == 0 || rng.IntN(3) > 0 {
			x := &thing{n: next}
			r.Add(next, x)
			want = append(want, x)
			next++
		}
		if len(want) > 0 && rng.IntN(2) == 0 {
			k := rng.IntN(len(want))
			r.Remove(want[k])
			want = slices.Delete(want, k, k+1)
		}
		require.Equal(t, len(want), r.Len(), "round %d", round)
	}
	assert.Equal(t, want, r.Slice())
	assert.Less(t, r.holes, 32+len(want), "holes are closed as they come")
	first, ok := r.First()
	require.True(t, ok)
	assert.Same(t, want[0], first)
}

// TestRosterRemove: a thing removed twice, or one of another roster, or
// of none, changes nothing.
func TestRosterRemove(t *testing.T) {
	var r, other Roster[*thing]
	a, b, c := &thing{n: 1}, &thing{n: 2}, &thing{n: 3}
	r.Add(1, a)
	r.Add(2, b)
	other.Add(1, c)
	r.Remove(b)
	r.Remove(b)
	r.Remove(c)
	r.Remove(&thing{n: 4})
	assert.Equal(t, []int{1}, ns(&r))
	assert.Equal(t, []int{3}, ns(&other))
	r.Add(3, b) // back again, as a shelved order taken back
	assert.Equal(t, []int{1, 2}, ns(&r))
	r.Remove(a)
	_, ok := r.First()
	assert.True(t, ok)
	r.Remove(b)
	_, ok = r.First()
	assert.False(t, ok)
	assert.Equal(t, 0, r.Len())
	assert.Empty(t, r.entries, "none kept as a hole once all left")
}

// TestRosterFind: a key finds the thing whose keys run from its own to the
// next one's; a key of a thing that left finds none, before and after
// the holes are closed.
func TestRosterFind(t *testing.T) {
	var r Roster[*thing]
	things := make([]*thing, 100)
	for i := range things {
		things[i] = &thing{n: i}
		r.Add(10*i, things[i]) // keys 10i to 10i+9 are thing i's
	}
	owner := func(key int) (int, bool) { // as a caller looks: in the thing's keys
		got, ok := r.Find(key)
		if !ok || key >= 10*got.n+10 {
			return 0, false
		}
		return got.n, true
	}
	for _, key := range []int{0, 9, 10, 537, 999} {
		n, ok := owner(key)
		require.True(t, ok, "key %d", key)
		assert.Equal(t, key/10, n, "key %d", key)
	}
	_, ok := r.Find(-1)
	assert.False(t, ok, "before the first")
	for i := 0; i < 100; i += 2 {
		r.Remove(things[i])
		for _, key := range []int{10 * i, 10*i + 9} {
			_, ok := owner(key)
			assert.False(t, ok, "key %d of a thing that left", key)
		}
		if i+1 < 100 {
			n, ok := owner(10*(i+1) + 3)
			require.True(t, ok)
			assert.Equal(t, i+1, n)
		}
	}
	assert.Equal(t, 0, r.holes, "closed once half were holes")
	for i := range 100 {
		n, ok := owner(10*i + 5)
		assert.Equal(t, i%2 == 1, ok, "thing %d", i)
		if ok {
			assert.Equal(t, i, n)
		}
	}
}

// BenchmarkRosterRetire retires the oldest of n things in flight while a
// new one comes: the cost a thing stays flat as n grows (a slice's
// delete grows with n).
func BenchmarkRosterRetire(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("inflight=%d", n), func(b *testing.B) {
			var r Roster[*thing]
			queue := make([]*thing, 0, n)
			for i := range n {
				x := &thing{n: i}
				r.Add(i, x)
				queue = append(queue, x)
			}
			next := n
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				old := queue[i%n]
				r.Remove(old)
				x := &thing{n: next}
				r.Add(next, x)
				queue[i%n] = x
				next++
			}
		})
	}
}

package com

import "github.com/ordertwin/ordertwin/core/store"

// keyFilter is a Bloom filter of the idempotency keys that left memory
// (keysLeave): a key it does not hold was never shelved, and a request
// bringing it is new without a read of the shelf. Before, every keyed
// quote and order read the shelf once any key had left memory: 4% of a
// loaded server's processor time, on the engine's goroutine, and a read
// the input log kept for each.
//
// It holds hashes only (COM's state names no key of what left memory), a
// little over a byte a key. It grows in parts: part i is sized for
// keyFilterFirst·2^i keys at about 1% false positives, and a new part
// begins when the last is full, so that a filter of n keys has about
// log2(n/keyFilterFirst) parts and a lookup probes each. A key it holds
// falsely costs the read it saves otherwise; it is never wrong the other
// way. Its hashing is fixed (FNV-1a), so a replay or a restored snapshot
// decides as the run did.
type keyFilter struct {
	parts []filterPart
}

// filterPart is one part: m = len(bits)·64 bits, n keys added, of room.
type filterPart struct {
	bits []uint64
	n    int
	room int
}

// keyedShelf is where the keys that left memory are on the shelf: the
// items of each kind's docs that begin with its prefix (keysLeave's keys).
var keyedShelf = []struct{ kind, prefix string }{
	{ShelfKind, "order "}, {QuoteShelfKind, "quote "}, {QualificationShelfKind, "qualification "},
}

// refilterKeys makes the filter of the keys that left memory again from
// the shelf, when a snapshot of an earlier build, taken once keys had
// left memory, kept none: else every new key would be looked for on the
// shelf, for ever. The filter then holds every key on the shelf, those of
// docs shelved after the snapshot included (a key it holds is looked for,
// as before). A shelf that cannot list them leaves the keys unfiltered.
func (c *COM) refilterKeys(shelf store.Shelf) {
	if c.keysFiltered || c.keysShelved == 0 || shelf == nil {
		return
	}
	var f keyFilter
	for _, k := range keyedShelf {
		if shelf.ShelvedItems(k.kind, k.prefix, func(item string) error { f.add(item); return nil }) != nil {
			return
		}
	}
	c.shelvedKeys, c.keysFiltered = f, true
}

// keyFilterFirst is the room of the first part, in keys; keyFilterProbes
// the bits a key sets in its part. Ten bits a key and seven probes keep
// false positives near 1%.
// Parts stop doubling after keyFilterDoublings: a part's bits are
// counted in 32 bits (4096·2^16 keys at ten bits each fit), and later
// parts keep that room.
const (
	keyFilterFirst     = 4096
	keyFilterProbes    = 7
	keyFilterBits      = 10
	keyFilterDoublings = 16
)

// partRoom is the room, in keys, of part i.
func partRoom(i int) int { return keyFilterFirst << min(i, keyFilterDoublings) }

// add puts key in the filter.
func (f *keyFilter) add(key string) {
	if n := len(f.parts); n == 0 || f.parts[n-1].n >= f.parts[n-1].room {
		room := partRoom(n)
		f.parts = append(f.parts, filterPart{bits: make([]uint64, room*keyFilterBits/64), room: room})
	}
	p := &f.parts[len(f.parts)-1]
	h1, h2 := keyHashes(key)
	m := uint32(len(p.bits) * 64)
	for i := uint32(0); i < keyFilterProbes; i++ {
		b := (h1 + i*h2) % m
		p.bits[b/64] |= 1 << (b % 64)
	}
	p.n++
}

// mayHold says whether key may have been added: false is certain.
func (f *keyFilter) mayHold(key string) bool {
	h1, h2 := keyHashes(key)
	for _, p := range f.parts {
		m := uint32(len(p.bits) * 64)
		in := true
		for i := uint32(0); i < keyFilterProbes && in; i++ {
			b := (h1 + i*h2) % m
			in = p.bits[b/64]&(1<<(b%64)) != 0
		}
		if in {
			return true
		}
	}
	return false
}

// keyHashes are the two hashes of key the probes are made of (double
// hashing): the halves of its 64-bit FNV-1a, the second odd.
func keyHashes(key string) (uint32, uint32) {
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	return uint32(h), uint32(h>>32) | 1
}

// keyFilterState is a filter as a snapshot keeps it.
type keyFilterState struct {
	Bits [][]uint64
	N    []int
}

func (f *keyFilter) save() keyFilterState {
	var st keyFilterState
	for _, p := range f.parts {
		st.Bits = append(st.Bits, p.bits)
		st.N = append(st.N, p.n)
	}
	return st
}

// restore sets f to st, false if st is not one save made.
func (f *keyFilter) restore(st keyFilterState) bool {
	if len(st.Bits) != len(st.N) {
		return false
	}
	f.parts = f.parts[:0]
	for i, bits := range st.Bits {
		room := partRoom(i)
		if len(bits) != room*keyFilterBits/64 || st.N[i] < 0 || st.N[i] > room {
			return false
		}
		f.parts = append(f.parts, filterPart{bits: bits, n: st.N[i], room: room})
	}
	return true
}

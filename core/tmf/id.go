package tmf

import (
	"strconv"
	"strings"

	"github.com/ordertwin/ordertwin/core/slab"
)

// SeqID formats the n-th id with prefix, zero-padded to three digits:
// SeqID("ROI", 7) is "ROI-007".
func SeqID(prefix string, n int) string {
	var buf [32]byte
	return string(appendSeqID(buf[:0], prefix, n))
}

// SeqIDIn is SeqID made by strs: no allocation of its own.
func SeqIDIn(strs *slab.Strings, prefix string, n int) string {
	var buf [32]byte
	return strs.Bytes(appendSeqID(buf[:0], prefix, n))
}

func appendSeqID(b []byte, prefix string, n int) []byte {
	b = append(b, prefix...)
	b = append(b, '-')
	switch {
	case n < 10:
		b = append(b, '0', '0')
	case n < 100:
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(n), 10)
}

// SeqOf is the number of an id made by SeqID (SeqOf("SO-007") is 7), 0
// for another id.
func SeqOf(id string) uint64 {
	n, _ := strconv.ParseUint(id[strings.LastIndexByte(id, '-')+1:], 10, 64)
	return n
}

// IDsOf returns the id of each of items, as id gives it.
func IDsOf[T any](items []T, id func(*T) string) []string {
	out := make([]string, len(items))
	for i := range items {
		out[i] = id(&items[i])
	}
	return out
}

// IDSpace is the numbers one shard of a deployment gives its entities'
// ids, apart from every other shard's: shard k of n numbers them k+1,
// k+1+n, k+1+2n, … (PO-003, PO-007, … for shard 2 of 4), so that an id
// made by SeqID names its shard (ShardOf). The zero IDSpace, a deployment
// of one, numbers them 1, 2, 3, ….
type IDSpace struct {
	Shards, Shard int
}

// Nth is the number of the n-th id of the space (n from 1).
func (s IDSpace) Nth(n int) int {
	if s.Shards <= 1 {
		return n
	}
	return (n-1)*s.Shards + s.Shard + 1
}

// After is the first number of the space above n (n 0 or more).
func (s IDSpace) After(n int) int {
	m := n + 1
	if s.Shards <= 1 {
		return m
	}
	if d := (m - 1 - s.Shard) % s.Shards; d != 0 {
		m += (s.Shards - d) % s.Shards
	}
	return m
}

// ShardOf is the shard whose space holds the id made by SeqID, among
// shards; ok is false for an id SeqID did not make (no number after its
// last '-').
func ShardOf(id string, shards int) (shard int, ok bool) {
	n := SeqOf(id)
	if n == 0 || shards < 1 {
		return 0, false
	}
	return int((n - 1) % uint64(shards)), true
}

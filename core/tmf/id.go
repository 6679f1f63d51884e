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

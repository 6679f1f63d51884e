package tmf

import "strconv"

// SeqID formats the n-th id with prefix, zero-padded to three digits:
// SeqID("ROI", 7) is "ROI-007".
func SeqID(prefix string, n int) string {
	var buf [32]byte
	return string(appendSeqID(buf[:0], prefix, n))
}

// AppendSeqIDs appends to ids the count ids with prefix from the first-th
// on, cut from one string: one allocation for them all.
func AppendSeqIDs(ids []string, prefix string, first, count int) []string {
	var buf [256]byte
	var endBuf [32]int
	b, ends := buf[:0], endBuf[:0]
	for n := first; n < first+count; n++ {
		b = appendSeqID(b, prefix, n)
		ends = append(ends, len(b))
	}
	all, from := string(b), 0
	for _, end := range ends {
		ids = append(ids, all[from:end])
		from = end
	}
	return ids
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

package store

import (
	"encoding/binary"
	"time"
)

// A durable store keeps the records of one commit as one batch, in a
// shorter encoding than EncodeRecords' (which stays the hash chain's
// canonical one): a commit's records share their instant and most of
// their strings (a kind, a system, states and events, an entity created
// and moved on at once), and the canonical encoding spells each out, about
// 90 bytes a record under load; this one about a third of that. The WAL, the
// checkpoints and the disk write it, not the canonical one.
//
// EncodeBatch's encoding is batchCompact, then for each record its time as
// a varint (the difference from the record before it, the first's from 0),
// then its eight strings in the order of Record's fields, each as one
// uvarint code:
//
//	0                          the empty string
//	1 … batchSlots             the string in slot code−1 of this field
//	batchSlots+1+n, then n bytes  a string of n bytes, which then takes its
//	                           slot (batchSlot) of this field
//
// Each field has batchSlots slots, empty at the batch's start: a decoder
// fills them as the encoder did, so a batch decodes alone.

// batchCompact starts a batch in EncodeBatch's encoding. The canonical
// encoding never starts with it: its first byte is the low byte of a
// record's time as a zigzag varint, even for a time of 0 or more.
const batchCompact = 0x01

// batchSlots is how many strings of each field a batch remembers.
const batchSlots = 64

// batchSlot is the slot of s (not empty) among a field's.
func batchSlot(s string) int {
	return (len(s)*131 + int(s[0])*31 + int(s[len(s)-1])*7 + int(s[len(s)/2])) % batchSlots
}

// batchFields is how many strings a record has.
const batchFields = 8

// fields are the strings of r, in the encoding's order.
func fields(r *Record) [batchFields]*string {
	return [batchFields]*string{&r.Kind, &r.Entity, &r.Name, &r.System, &r.From, &r.To, &r.Event, &r.Reason}
}

// EncodeBatch appends records to b in a durable store's batch encoding,
// which DecodeRecords reads.
func EncodeBatch(b []byte, records []Record) []byte {
	var slots [batchFields][batchSlots]string
	b = append(b, batchCompact)
	var prev time.Duration
	for i := range records {
		r := &records[i]
		b = binary.AppendVarint(b, int64(r.At-prev))
		prev = r.At
		for f, p := range fields(r) {
			s := *p
			if s == "" {
				b = append(b, 0)
				continue
			}
			k := batchSlot(s)
			if slots[f][k] == s {
				b = append(b, byte(k+1)) // under 0x80: one byte
				continue
			}
			slots[f][k] = s
			b = binary.AppendUvarint(b, uint64(batchSlots+1+len(s)))
			b = append(b, s...)
		}
	}
	return b
}

// readAt decodes a record's time, kept as the difference from prev (the
// time of the record before it), and returns the rest of b.
func readAt(b []byte, prev time.Duration) (time.Duration, []byte, error) {
	d, n := binary.Varint(b)
	if n <= 0 {
		return 0, b, ErrCorrupt
	}
	return prev + time.Duration(d), b[n:], nil
}

// decodeBatch appends the records of an EncodeBatch encoding (after its
// first byte) to out.
func decodeBatch(out []Record, b []byte) ([]Record, error) {
	var slots [batchFields][batchSlots]string
	var prev time.Duration
	for len(b) > 0 {
		var r Record
		var err error
		if r.At, b, err = readAt(b, prev); err != nil {
			return out, err
		}
		prev = r.At
		for f, p := range fields(&r) {
			c, n := binary.Uvarint(b)
			if n <= 0 {
				return out, ErrCorrupt
			}
			b = b[n:]
			switch {
			case c == 0:
			case c <= batchSlots:
				if *p = slots[f][c-1]; *p == "" {
					return out, ErrCorrupt // a slot not filled
				}
			default:
				l := c - batchSlots - 1
				if l == 0 || l > uint64(len(b)) {
					return out, ErrCorrupt
				}
				s := string(b[:l])
				b = b[l:]
				*p = s
				slots[f][batchSlot(s)] = s
			}
		}
		out = append(out, r)
	}
	return out, nil
}

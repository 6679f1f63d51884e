package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"hash/crc32"
)

// Hash is a link hash of the journal's hash chain: SHA-256.
type Hash [sha256.Size]byte

// String is the hash in hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Link is what one commit adds to the journal, as its hash chain covers
// it: the records numbered FirstRecord … LastRecord and the inputs
// numbered FirstInput … LastInput (a range is empty when its last is its
// first less one). Commits are numbered from 1.
type Link struct {
	Commit                  int64
	FirstRecord, LastRecord int64
	FirstInput, LastInput   int64
}

// Records counts the link's records.
func (l Link) Records() int64 { return l.LastRecord - l.FirstRecord + 1 }

// Inputs counts the link's inputs.
func (l Link) Inputs() int64 { return l.LastInput - l.FirstInput + 1 }

// chainDomain starts every link's hashed content: a hash of this format
// can be told from any other SHA-256.
const chainDomain = "ordertwin journal chain v1\x00"

// Chain hashes one link: SHA-256 of the previous link's hash (zero before
// the first) and the link's canonical content. records is the encoding
// of the link's records (EncodeRecords); inputs are its inputs in order.
// The content, each integer as 8 bytes big-endian and each byte string
// as its length and its bytes:
//
//	"ordertwin journal chain v1\x00" ‖ prev ‖ commit ‖ first record ‖ last record ‖
//	records ‖ first input ‖ last input ‖ for each input: before ‖ at ‖ to ‖ kind ‖ body ‖ origin
//
// where origin is the input's Origin encoded (Origin.Encode: empty for
// none).
func Chain(prev Hash, l Link, records []byte, inputs []Input) Hash {
	h := sha256.New()
	var b [8]byte
	num := func(h hash.Hash, v int64) {
		binary.BigEndian.PutUint64(b[:], uint64(v))
		h.Write(b[:])
	}
	bytes := func(h hash.Hash, p []byte) {
		num(h, int64(len(p)))
		h.Write(p)
	}
	h.Write([]byte(chainDomain))
	h.Write(prev[:])
	num(h, l.Commit)
	num(h, l.FirstRecord)
	num(h, l.LastRecord)
	bytes(h, records)
	num(h, l.FirstInput)
	num(h, l.LastInput)
	for _, in := range inputs {
		num(h, int64(in.Before))
		num(h, int64(in.At))
		h.Write([]byte{in.To})
		bytes(h, []byte(in.Kind))
		bytes(h, in.Body)
		bytes(h, in.Origin.Encode())
	}
	var out Hash
	h.Sum(out[:0])
	return out
}

// castagnoli is the CRC-32C table (computed in hardware where it can be).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Sums are the CRC-32C checksums of a link's records, or of its inputs,
// 4 bytes each in order. They are no protection (the link hash is): they
// let a verifier name which record or input of a changed link differs.
type Sums []byte

// AppendRecordSums appends the checksum of each record encoded in
// records (EncodeRecords) to sums.
func AppendRecordSums(sums Sums, records []byte) (Sums, error) {
	for len(records) > 0 {
		n, err := encodedLen(records)
		if err != nil {
			return sums, err
		}
		sums = binary.BigEndian.AppendUint32(sums, crc32.Checksum(records[:n], castagnoli))
		records = records[n:]
	}
	return sums, nil
}

// RecordSum is the checksum of one record.
func RecordSum(r *Record) uint32 { return crc32.Checksum(appendRecord(nil, r), castagnoli) }

// InputSum is the checksum of one input.
func InputSum(in *Input) uint32 {
	var b [8 + 8 + 1]byte
	binary.BigEndian.PutUint64(b[:], in.Before)
	binary.BigEndian.PutUint64(b[8:], uint64(in.At))
	b[16] = in.To
	c := crc32.Update(0, castagnoli, b[:])
	c = crc32.Update(c, castagnoli, []byte(in.Kind))
	c = crc32.Update(c, castagnoli, in.Body)
	return crc32.Update(c, castagnoli, in.Origin.Encode())
}

// AppendInputSums appends the checksum of each input to sums.
func AppendInputSums(sums Sums, inputs []Input) Sums {
	for i := range inputs {
		sums = binary.BigEndian.AppendUint32(sums, InputSum(&inputs[i]))
	}
	return sums
}

// At is the i-th checksum, and whether there is one.
func (s Sums) At(i int) (uint32, bool) {
	if i < 0 || 4*i+4 > len(s) {
		return 0, false
	}
	return binary.BigEndian.Uint32(s[4*i:]), true
}

// Len counts the checksums.
func (s Sums) Len() int { return len(s) / 4 }

// encodedLen is the length of the first record encoded in b.
func encodedLen(b []byte) (int, error) {
	_, n := binary.Varint(b)
	if n <= 0 {
		return 0, ErrCorrupt
	}
	off := n
	for range 8 {
		l, n := binary.Uvarint(b[off:])
		if n <= 0 || l > uint64(len(b)-off-n) {
			return 0, ErrCorrupt
		}
		off += n + int(l)
	}
	return off, nil
}

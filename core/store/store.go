// Package store keeps the journal of the core: every recorded transition and
// fact, committed in batches before their effects leave the process.
package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Record is one journal entry: a lifecycle transition of an entity, or a fact
// (Kind says which).
type Record struct {
	At     time.Duration
	Kind   string // lifecycle kind, or a fact kind such as "milestone"
	Entity string // id
	Name   string // display name (SO-PILOT), if other than the id
	System string // who recorded it: COM, SOM, ROM → access, ...
	From   string
	To     string
	Event  string
	Reason string
}

// Journal takes committed records.
type Journal interface {
	// Append commits records in order. When it returns nil they are durable
	// (for the store's idea of durable).
	Append(records []Record) error
}

// Memory keeps the journal in memory: the simulation store. Records are
// kept encoded in byte chunks, which hold no pointers: a journal of
// millions of records costs the garbage collector nothing to scan. Their
// recurring strings are kept once, numbered (words).
type Memory struct {
	mu     sync.Mutex
	chunks [][]byte
	words  words
	// firsts holds the seq of each chunk's first record.
	firsts []int64
	// lastAt is the time of the last record of the last chunk: a record
	// keeps its time as the difference from the one before it in its
	// chunk (nearly always 0: a commit's records share their instant).
	lastAt  time.Duration
	n       int
	commits int
	inputs  []Input
	snap    memorySnapshot
	shelf   memoryShelf
	feed    *Feed
	meta    map[string]string
	cursors memoryCursors
}

// memoryChunk is the size of one chunk of encoded records.
const memoryChunk = 1 << 20

// NewMemory returns an empty in-memory journal.
func NewMemory() *Memory {
	m := &Memory{}
	m.feed = NewFeed(0, DefaultWindow, m.after)
	return m
}

// Feed is the feed of the journal's commits.
func (m *Memory) Feed() *Feed { return m.feed }

// Append keeps records, and publishes them to the feed.
func (m *Memory) Append(records []Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	need := 0
	for i := range records {
		need += maxEncoded(&records[i])
	}
	if b := m.last(); b != nil && cap(b)-len(b) >= need {
		// The whole batch fits the last chunk: no check per record.
		for i := range records {
			b = m.words.appendMemoryRecord(b, &records[i], m.lastAt)
			m.lastAt = records[i].At
		}
		m.chunks[len(m.chunks)-1] = b
	} else {
		for i := range records {
			r := &records[i]
			b := m.words.appendMemoryRecord(m.room(maxEncoded(r), int64(m.n+i+1)), r, m.lastAt)
			m.chunks[len(m.chunks)-1] = b
			m.lastAt = r.At
		}
	}
	m.n += len(records)
	m.commits++
	m.feed.Publish(int64(m.n-len(records)+1), records)
	return nil
}

// last is the chunk being filled, nil before the first.
func (m *Memory) last() []byte {
	if len(m.chunks) == 0 {
		return nil
	}
	return m.chunks[len(m.chunks)-1]
}

// room returns the last chunk, after starting a new one, whose first
// record is seq, if it has less than size bytes free. Chunks double from
// 4 KiB up to memoryChunk: a small journal stays small.
func (m *Memory) room(size int, seq int64) []byte {
	if b := m.last(); b != nil && cap(b)-len(b) >= size {
		return b
	}
	next := 4 << 10
	if len(m.chunks) > 0 {
		next = min(2*cap(m.last()), memoryChunk)
	}
	m.chunks = append(m.chunks, make([]byte, 0, max(next, size)))
	m.firsts = append(m.firsts, seq)
	m.lastAt = 0
	return m.last()
}

// after reads up to limit records after seq (all when limit < 0): from
// the chunk that holds seq+1 on.
func (m *Memory) after(_ context.Context, seq int64, limit int) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, found := slices.BinarySearch(m.firsts, seq+1)
	if !found {
		k = max(k-1, 0)
	}
	var out []Entry
	var records []Record
	for ; k < len(m.chunks) && (limit < 0 || len(out) < limit); k++ {
		var err error
		if records, err = m.words.decodeMemoryRecords(records[:0], m.chunks[k]); err != nil {
			panic("store: memory journal corrupt: " + err.Error()) // it only holds what Append encoded
		}
		for i, r := range records {
			if s := m.firsts[k] + int64(i); s > seq && (limit < 0 || len(out) < limit) {
				out = append(out, Entry{s, r})
			}
		}
	}
	return out, nil
}

// maxEncoded bounds the size of r encoded, by appendRecord or by the
// memory journal (words).
func maxEncoded(r *Record) int {
	return binary.MaxVarintLen64 + 8*binary.MaxVarintLen32 + len(r.Kind) + len(r.Entity) + len(r.Name) +
		len(r.System) + len(r.From) + len(r.To) + len(r.Event) + len(r.Reason)
}

// appendRecord encodes r: its time as a varint, then each string as its
// length (a uvarint) and its bytes.
func appendRecord(b []byte, r *Record) []byte {
	b = binary.AppendVarint(b, int64(r.At))
	b = appendString(b, r.Kind)
	b = appendString(b, r.Entity)
	b = appendString(b, r.Name)
	b = appendString(b, r.System)
	b = appendString(b, r.From)
	b = appendString(b, r.To)
	b = appendString(b, r.Event)
	return appendString(b, r.Reason)
}

// appendString appends the length of s as a uvarint, one byte for the
// short strings that most are, then s.
func appendString(b []byte, s string) []byte {
	if len(s) < 0x80 {
		b = append(b, byte(len(s)))
	} else {
		b = binary.AppendUvarint(b, uint64(len(s)))
	}
	return append(b, s...)
}

// Records returns everything committed so far, in order.
func (m *Memory) Records() []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Record, 0, m.n)
	for _, b := range m.chunks {
		var err error
		if out, err = m.words.decodeMemoryRecords(out, b); err != nil {
			panic("store: memory journal corrupt: " + err.Error()) // it only holds what Append encoded
		}
	}
	return out
}

// EncodeRecords appends the encoding of records to b: for each, its time
// as a varint, then each string as its length (a uvarint) and its bytes.
// It is the canonical encoding the hash chain hashes (Chain); a durable
// store keeps a commit's records in the shorter EncodeBatch.
func EncodeRecords(b []byte, records []Record) []byte {
	for i := range records {
		b = appendRecord(b, &records[i])
	}
	return b
}

// ErrCorrupt is the error of an encoding that neither EncodeRecords nor
// EncodeBatch made.
var ErrCorrupt = errors.New("corrupt record encoding")

// ErrTaken: another server took the store this one served (its hold had
// lapsed): this one writes no more, and stops.
var ErrTaken = errors.New("the store was taken by another server: this one writes no more")

// DecodeRecords appends the records encoded in b, by EncodeRecords or
// EncodeBatch, to out.
func DecodeRecords(out []Record, b []byte) ([]Record, error) {
	if len(b) > 0 && b[0] == batchCompact {
		return decodeBatch(out, b[1:])
	}
	for len(b) > 0 {
		var r Record
		at, n := binary.Varint(b)
		if n <= 0 {
			return out, ErrCorrupt
		}
		b = b[n:]
		r.At = time.Duration(at)
		for _, s := range [...]*string{&r.Kind, &r.Entity, &r.Name, &r.System, &r.From, &r.To, &r.Event, &r.Reason} {
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return out, ErrCorrupt
			}
			*s = string(b[n : n+int(l)])
			b = b[n+int(l):]
		}
		out = append(out, r)
	}
	return out, nil
}

// AppendBatch appends to out, up to limit entries in all (none when limit
// < 0), the records after seq after of the batch first..last that data
// encodes (a journal_batch row of a durable store), each with its seq.
// records is scratch space for the batch's records, returned for the
// next batch.
func AppendBatch(out []Entry, records []Record, first, last, after int64, limit int, data []byte) ([]Entry, []Record, error) {
	records, err := DecodeRecords(records[:0], data)
	if err != nil {
		return out, records, fmt.Errorf("journal records %d to %d: %w", first, last, err)
	}
	if int64(len(records)) != last-first+1 {
		return out, records, fmt.Errorf("journal records %d to %d: the batch holds %d: %w", first, last, len(records), ErrCorrupt)
	}
	for i, r := range records {
		if limit >= 0 && len(out) >= limit {
			break
		}
		if seq := first + int64(i); seq > after {
			out = append(out, Entry{Seq: seq, Record: r})
		}
	}
	return out, records, nil
}

// Rows is a query's answer as database/sql and pgx give it.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ScanCursors reads rows of (listener, seq), a durable store's delivery
// cursors, into a map: listener id → seq.
func ScanCursors(rows Rows) (map[string]int64, error) {
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return nil, err
		}
		out[id] = seq
	}
	return out, rows.Err()
}

// Len counts the records committed.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n
}

// Commits counts the batches committed.
func (m *Memory) Commits() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.commits
}

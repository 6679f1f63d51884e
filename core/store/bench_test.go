package store

import (
	"strconv"
	"testing"
	"time"
)

// journalSample is 1,000 records shaped like a run's: constant kinds,
// systems, states and events, and an entity id of their own.
func journalSample() []Record {
	kinds := []string{"resourceOrderItem", "serviceOrderItem", "resource", "milestone", "resourceOrder", "service"}
	systems := []string{"ROM", "SOM", "ROM → inventory", "ROM → logistics", "COM"}
	states := []string{"acknowledged", "inProgress", "completed", "reserved", "available", "staged"}
	events := []string{"start", "complete", "create", "reserve", "commit", "milestone"}
	records := make([]Record, 0, 1000)
	for i := range 1000 {
		records = append(records, Record{Kind: kinds[i%6], Entity: "ROI-" + strconv.Itoa(i), System: systems[i%5],
			From: states[i%6], To: states[(i+1)%6], Event: events[i%6]})
	}
	return records
}

// BenchmarkMemoryEncoding encodes 1,000 records as the memory journal
// keeps them (words): it should cost no more than EncodeRecords.
func BenchmarkMemoryEncoding(b *testing.B) {
	records := journalSample()
	var w words
	buf := make([]byte, 0, 1<<20)
	for b.Loop() {
		buf = buf[:0]
		var prev time.Duration
		for i := range records {
			buf = w.appendMemoryRecord(buf, &records[i], prev)
			prev = records[i].At
		}
	}
	b.ReportMetric(float64(len(buf))/float64(len(records)), "B/record")
}

// BenchmarkEncodeRecords encodes the same records as the durable store
// and the hash chain do.
func BenchmarkEncodeRecords(b *testing.B) {
	records := journalSample()
	buf := make([]byte, 0, 1<<20)
	for b.Loop() {
		buf = EncodeRecords(buf[:0], records)
	}
	b.ReportMetric(float64(len(buf))/float64(len(records)), "B/record")
}

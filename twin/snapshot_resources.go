package twin

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The reserved resources are most of a long-lived twin's snapshot: one per
// resource order item in service (thirty an order), so hundreds of
// thousands. They are saved as one table, not a gob list: the names of the
// pools and capacity counts once each, then per resource, in the order of
// its pool and slot, the pool's number, the slot, the capacity's number
// (0: none) and the id, as varints and bytes. Restoring it decodes no
// struct per resource and makes every id a part of one string.

// resourceTable is the reserved resources of a snapshot.
type resourceTable struct {
	Pools, Capacities []string
	Rows              []byte
	Count             int // rows, so that the map is made to size
}

// tableRow is one reserved resource while the table is made.
type tableRow struct {
	pool, slot, capacity int
	id                   string
}

// resourceTable makes the table of t's reserved resources; pools and
// capacities name the twin's pools and capacity counts.
func (t *Twin) resourceTable(pools map[*slots]string, capacities map[*capacity]string) (resourceTable, error) {
	var tab resourceTable
	poolNo, capNo := map[*slots]int{}, map[*capacity]int{}
	tab.Pools = slices.Sorted(maps.Values(pools))
	for s, name := range pools {
		poolNo[s], _ = slices.BinarySearch(tab.Pools, name)
	}
	tab.Capacities = slices.Sorted(maps.Values(capacities))
	for c, name := range capacities {
		n, _ := slices.BinarySearch(tab.Capacities, name)
		capNo[c] = n + 1
	}
	rows := make([]tableRow, 0, len(t.resources))
	size := 0
	for id, rel := range t.resources {
		p, ok := poolNo[rel.slots]
		if !ok {
			return tab, fmt.Errorf("resource %s goes back to a pool the twin does not have", id)
		}
		rows = append(rows, tableRow{pool: p, slot: rel.i, capacity: capNo[rel.capacity], id: id})
		size += 4*binary.MaxVarintLen32 + len(id)
	}
	slices.SortFunc(rows, func(a, b tableRow) int {
		return cmp.Or(cmp.Compare(a.pool, b.pool), cmp.Compare(a.slot, b.slot), strings.Compare(a.id, b.id))
	})
	tab.Rows, tab.Count = make([]byte, 0, size), len(rows)
	for _, r := range rows {
		tab.Rows = binary.AppendUvarint(tab.Rows, uint64(r.pool))
		tab.Rows = binary.AppendUvarint(tab.Rows, uint64(r.slot))
		tab.Rows = binary.AppendUvarint(tab.Rows, uint64(r.capacity))
		tab.Rows = binary.AppendUvarint(tab.Rows, uint64(len(r.id)))
		tab.Rows = append(tab.Rows, r.id...)
	}
	return tab, nil
}

// restore puts the table's resources in r, checking each against r's
// pools and capacity counts (by name).
func (tab resourceTable) restore(r *Twin, pools map[string]*slots, capacities map[string]*capacity) error {
	slotsOf := make([]*slots, len(tab.Pools))
	for i, name := range tab.Pools {
		if slotsOf[i] = pools[name]; slotsOf[i] == nil {
			return fmt.Errorf("reserved resources: no pool %q in the network", name)
		}
	}
	countOf := make([]*capacity, len(tab.Capacities)+1)
	for i, name := range tab.Capacities {
		if countOf[i+1] = capacities[name]; countOf[i+1] == nil {
			return fmt.Errorf("reserved resources: no capacity %q in the network", name)
		}
	}
	if len(r.resources) == 0 {
		r.resources = make(map[string]release, min(max(tab.Count, 0), len(tab.Rows)/5)) // a row takes 5 bytes or more
	}
	text := string(tab.Rows) // every id is a part of it
	bad := errors.New("reserved resources: the table is cut short")
	for at := 0; at < len(text); {
		var v [4]uint64
		for k := range v {
			n, w := binary.Uvarint(tab.Rows[at:])
			if w <= 0 {
				return bad
			}
			v[k], at = n, at+w
		}
		pool, slot, count, size := v[0], v[1], v[2], v[3]
		if size > uint64(len(text)-at) {
			return bad
		}
		id := text[at : at+int(size)]
		at += int(size)
		if pool >= uint64(len(slotsOf)) || slot >= uint64(len(slotsOf[pool].used)) || count >= uint64(len(countOf)) {
			return fmt.Errorf("resource %s: no slot %d in pool %d of %d, or no capacity %d", id, slot, pool, len(slotsOf), count)
		}
		r.resources[id] = release{slots: slotsOf[pool], i: int(slot), capacity: countOf[count]}
	}
	return nil
}

package port

// Ledger is the allocation authority of a twin that is one of several on
// one network: each shard of a deployment (docs/architecture.md §7, "One
// allocation authority") runs a twin of the whole network (package
// twin), and each slot one of them hands out (an OLT port, a P2P handoff, a VLAN, a subnet, a
// CE router from stock), and each unit of capacity a revalidation holds
// for a site, is taken in the ledger first (and given back there), so
// that no two twins hand out the same and none hands out what another
// holds. A ledger answers a key
// as it first did: the replay of a shard after a takeover gets the
// answers its run got, whatever the other shards did since.
type Ledger interface {
	// Take takes for key the lowest slot that no key holds of the first
	// of pools that has one, and returns that pool's name and the slot.
	// When the pools count in a capacity (c.Name set) it takes one only
	// with a unit of it: the one c.Holder holds, which the take uses up,
	// or one no holder holds. ok is false when there is none. A key asked
	// again for the capacity (or, counting in none, for its first pool)
	// gets its first answer.
	Take(key string, pools []Pool, c Capacity) (pool string, slot int, ok bool)
	// Give frees slot of pool for key, a release's key: a key given
	// again for the pool frees nothing.
	Give(key, pool string, slot int)
	// Hold holds a unit of capacity c for c.Holder, if it holds none and
	// one is left: units neither taken (a slot held in a pool that
	// counts in it) nor held. ok is false when none is. A key asked again
	// gets its first answer.
	Hold(key string, c Capacity) (ok bool)
	// Unhold gives back the unit of capacity c that c.Holder holds, for
	// key, a release's key: a site that ends without being built. It
	// frees nothing when the holder holds none (its take used it up),
	// nor for a key given again.
	Unhold(key string, c Capacity)
}

// Pool is a pool of slots a take draws on: slots 0 … Slots-1, those in
// Occupied never free (in use from the start, or written off).
type Pool struct {
	Name     string
	Slots    int
	Occupied []int
}

// Capacity is a count of the slots of several pools (an area's OLT
// ports, an exchange's handoffs), as a ledger keeps it.
type Capacity struct {
	// Name is the capacity's ("area AREA-0001"), Units its slots not
	// occupied, in every pool that counts in it.
	Name  string
	Units int
	// Holder is who holds or takes a unit: a site.
	Holder string
}

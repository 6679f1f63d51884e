package twin

import (
	"fmt"
	"net/netip"

	"github.com/ordertwin/ordertwin/core/tmf"
)

// slots is a set of numbered things, each free or in use, handed out lowest
// first. A slot in use was either taken by the twin for a resource it
// reserved (mine), or in use from the start (the network's occupancy) or
// written off (a CE router lost): only the twin's own are given back.
type slots struct {
	used []bool
	// mine marks the slots the twin took (no longer than used: a slot
	// past its end is not the twin's); nil until the first.
	mine []bool
	next int // no free slot below next
	// name is the pool's in a ledger (Twin.UseLedger).
	name string
}

func (s *slots) take() (int, bool) {
	for i := s.next; i < len(s.used); i++ {
		if !s.used[i] {
			s.used[i] = true
			s.next = i + 1
			s.setMine(i, true)
			return i, true
		}
	}
	s.next = len(s.used)
	return 0, false
}

// give frees slot i, one of the twin's.
func (s *slots) give(i int) {
	s.used[i] = false
	s.next = min(s.next, i)
	s.setMine(i, false)
}

// isMine tells whether slot i is one the twin took and holds.
func (s *slots) isMine(i int) bool { return i >= 0 && i < len(s.mine) && s.mine[i] }

// setMine marks slot i as the twin's, or not (written off: it stays in use).
func (s *slots) setMine(i int, mine bool) {
	if mine && len(s.mine) < len(s.used) {
		s.mine = append(s.mine, make([]bool, len(s.used)-len(s.mine))...)
	}
	if i < len(s.mine) {
		s.mine[i] = mine
	}
}

// numberPool is a VLAN pool.
type numberPool struct {
	id, kind string
	lo       int
	slots
}

func newNumberPool(p VLANPool) (*numberPool, error) {
	lo, hi, err := parseRange(p.Range)
	if err != nil {
		return nil, fmt.Errorf("VLAN pool %s: %w", p.ID, err)
	}
	n := &numberPool{id: p.ID, kind: p.Kind, lo: lo, slots: slots{used: make([]bool, hi-lo+1)}}
	used, _ := parseRanges(p.Occupied, lo, hi)
	for _, v := range used {
		n.used[v-lo] = true
	}
	return n, nil
}

// subnetPool is an IPv4 block cut into equal subnets.
type subnetPool struct {
	id   string
	base uint32
	size int // prefix length of the subnets
	slots
	// chars are the characteristics of every subnet of the pool, made at
	// the first.
	chars tmf.Characteristics
}

func newSubnetPool(p IPPool) (*subnetPool, error) {
	pfx, err := netip.ParsePrefix(p.Prefix)
	if err != nil {
		return nil, fmt.Errorf("IP pool %s: %w", p.ID, err)
	}
	pfx = pfx.Masked()
	n := 1 << (p.Size - pfx.Bits())
	s := &subnetPool{id: p.ID, base: addr4(pfx.Addr()), size: p.Size, slots: slots{used: make([]bool, n)}}
	for _, a := range p.Allocated {
		sub, err := netip.ParsePrefix(a)
		if err != nil {
			return nil, fmt.Errorf("IP pool %s: %w", p.ID, err)
		}
		s.used[(addr4(sub.Addr())-s.base)>>(32-p.Size)] = true
	}
	return s, nil
}

// subnet is the address of subnet i.
func (s *subnetPool) subnet(i int) uint32 { return s.base + uint32(i)<<(32-s.size) }

func addr4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// serialPool is CPE stock: serial numbers, each in stock or taken.
type serialPool struct {
	serials []string
	slots
}

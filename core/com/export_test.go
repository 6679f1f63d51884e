package com

import (
	"slices"

	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// EarlierSnapshot is c's snapshot as a build that kept every jeopardy in
// one list (comState.Jeopardies, unnumbered) wrote it.
func EarlierSnapshot(c *COM) ([]byte, error) {
	return rewritten(c, func(st *comState) {
		st.Jeopardies = tmf.Raised(slices.Values(st.Orders), func(o orderState) []tmf.Jeopardy { return o.Jeopardies })
		for i := range st.Orders {
			st.Orders[i].Jeopardies = nil
		}
		for k := range st.Jeopardies {
			st.Jeopardies[k].N = 0
		}
		st.Raised = 0
	})
}

// EarlierWaveSnapshot is c's snapshot as a build that kept the items of a
// wave not yet released whole in its service order (waveState.SO.Items)
// wrote it, and how many items it moved there.
func EarlierWaveSnapshot(c *COM) ([]byte, int, error) {
	b, err := c.Snapshot()
	if err != nil {
		return nil, 0, err
	}
	var st comState
	if err := engine.DecodeState(b, &st); err != nil {
		return nil, 0, err
	}
	n := 0
	for i := range st.Waves {
		s := &st.Waves[i]
		if len(s.Pending) == 0 {
			continue
		}
		so := *s.SO
		so.Items = c.serviceOrderItems(c.waves[s.Handle])
		s.SO, s.Pending = &so, nil
		n += len(so.Items)
	}
	b, err = engine.EncodeState(&st)
	return b, n, err
}

// EarlierSitesSnapshot is c's snapshot as a build that kept no index of
// the sites in service wrote it: none, and each item's product named only
// once the item was decomposed. It says how many items in flight, not
// decomposed yet, it left unnamed.
func EarlierSitesSnapshot(c *COM) ([]byte, int, error) {
	b, err := c.Snapshot()
	if err != nil {
		return nil, 0, err
	}
	var st comState
	if err := engine.DecodeState(b, &st); err != nil {
		return nil, 0, err
	}
	st.InService, st.SitesIndexed = nil, false
	unnamed := 0
	for i := range st.Orders {
		o := &st.Orders[i]
		named := false
		for k := range o.Instances {
			it := &o.PO.Items[k]
			if len(it.ServiceOrderItem) > 0 {
				named = true
				continue
			}
			if o.Instances[k] != "" && !lc.IsFinal(lc.ProductOrderItem, it.State) {
				unnamed++
			}
			o.Instances[k] = ""
		}
		if !named {
			o.Instances = nil
		}
	}
	b, err = engine.EncodeState(&st)
	return b, unnamed, err
}

// Taken lists the product ids c has taken: those in service, and those
// being made, each with the order and item making it.
func Taken(c *COM) map[string]string {
	out := map[string]string{}
	for id := range c.sites.inService {
		out[id] = "in service"
	}
	for id, k := range c.sites.making {
		out[id] = k.o.po.ID + " " + k.o.po.Items[k.i].ID + " making"
	}
	return out
}

// EarlierKeysSnapshot is c's snapshot as a build before the filter of the
// keys that left memory saved it: without the filter.
func EarlierKeysSnapshot(c *COM) ([]byte, error) {
	return rewritten(c, func(st *comState) { st.ShelvedKeys, st.KeysFiltered = keyFilterState{}, false })
}

// rewritten is c's snapshot as edit leaves it.
func rewritten(c *COM, edit func(st *comState)) ([]byte, error) {
	b, err := c.Snapshot()
	if err != nil {
		return nil, err
	}
	var st comState
	if err := engine.DecodeState(b, &st); err != nil {
		return nil, err
	}
	edit(&st)
	return engine.EncodeState(&st)
}

// KeyLeft tells whether c's filter of the keys that left memory may hold
// key; false when c keeps no filter.
func KeyLeft(c *COM, key string) (filtered, held bool) {
	return c.keysFiltered, c.keysFiltered && c.shelvedKeys.mayHold(key)
}

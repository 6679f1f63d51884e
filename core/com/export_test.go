package com

import (
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// EarlierSnapshot is c's snapshot as a build that kept every jeopardy in
// one list (comState.Jeopardies, unnumbered) wrote it.
func EarlierSnapshot(c *COM) ([]byte, error) {
	b, err := c.Snapshot()
	if err != nil {
		return nil, err
	}
	var st comState
	if err := engine.DecodeState(b, &st); err != nil {
		return nil, err
	}
	st.Jeopardies = tmf.Raised(st.Orders, func(o orderState) []tmf.Jeopardy { return o.Jeopardies })
	for i := range st.Orders {
		st.Orders[i].Jeopardies = nil
	}
	for k := range st.Jeopardies {
		st.Jeopardies[k].N = 0
	}
	st.Raised = 0
	return engine.EncodeState(&st)
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

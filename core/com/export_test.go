package com

import (
	"cmp"
	"slices"

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
	for i := range st.Orders {
		st.Jeopardies = append(st.Jeopardies, st.Orders[i].Jeopardies...)
		st.Orders[i].Jeopardies = nil
	}
	slices.SortFunc(st.Jeopardies, func(a, b tmf.Jeopardy) int { return cmp.Compare(a.N, b.N) })
	for k := range st.Jeopardies {
		st.Jeopardies[k].N = 0
	}
	st.Raised = 0
	return engine.EncodeState(&st)
}

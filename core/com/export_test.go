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

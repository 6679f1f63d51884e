package api

import (
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/docs"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/rom"
	"github.com/ordertwin/ordertwin/core/som"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Codec encodes every command the APIs hand to the engine, for its input
// log: a restarted server replays them. A command type missing here is
// refused when submitted (engine.ErrNotCommand), never silently lost.
func Codec() *engine.Codec {
	return engine.NewCodec(
		com.QuoteRequest{}, com.OrderRequest{}, com.Cancel{}, com.Change{}, com.AddSite{}, com.Remove{}, com.Remediate{}, com.Describe{},
		com.Qualify{},
		docs.Put{}, docs.Patch{}, docs.Delete{},
		som.OrderRequest{}, rom.OrderRequest{}, &tmf.CancelRequest{},
	)
}

package system

import (
	"encoding/gob"
	"fmt"
	"sync"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/docs"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/operator"
	"github.com/ordertwin/ordertwin/core/peer"
	"github.com/ordertwin/ordertwin/core/rom"
	"github.com/ordertwin/ordertwin/core/som"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Codec encodes every command the APIs hand to the engine, for its input
// log: a restarted server replays them. It is a system's codec unless its
// Config names another. A command type missing here is
// refused when submitted (engine.ErrNotCommand), never silently lost.
func Codec() *engine.Codec {
	// What a peer's delivery may carry (peer.Delivery.Msg).
	for _, m := range []any{&tmf.ServiceOrder{}, &tmf.ResourceOrder{}, &tmf.CancelRequest{}, &tmf.OrderEvent{}} {
		registerOnce(m)
	}
	return engine.NewCodec(
		com.QuoteRequest{}, com.OrderRequest{}, com.Cancel{}, com.Change{}, com.AddSite{}, com.Remove{}, com.Remediate{}, com.Describe{}, com.Review{},
		com.Qualify{}, operator.Action{},
		docs.Put{}, docs.Patch{}, docs.Delete{},
		som.OrderRequest{}, rom.OrderRequest{}, &tmf.CancelRequest{},
		peer.Delivery{}, com.ReleaseWave{},
	)
}

var registered sync.Map

// registerOnce registers a concrete type that travels in an interface
// field (gob.Register panics when a name is registered twice with
// different types, never for the same one; this keeps it quiet).
func registerOnce(v any) {
	if _, had := registered.LoadOrStore(fmt.Sprintf("%T", v), true); !had {
		gob.Register(v)
	}
}

package api

import (
	"context"
	"slices"

	"github.com/ordertwin/ordertwin/core/api/hub"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/events"
	"github.com/ordertwin/ordertwin/core/rom"
	"github.com/ordertwin/ordertwin/core/som"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// shelfKinds are the shelf's kinds of the orders of each kind of item.
var shelfKinds = map[string]string{"productOrderItem": com.ShelfKind, "serviceOrderItem": som.ShelfKind, "resourceOrderItem": rom.ShelfKind}

// Listeners is what the notifier (core/events) asks the server: the
// listeners registered on its hubs, the orders of items.
func (s *Server) Listeners() events.Directory { return directory{s} }

// directory reads the engine's state for the notifier.
type directory struct{ s *Server }

// Listener implements events.Directory.
func (d directory) Listener(ctx context.Context, id string) (l events.Listener, ok bool, err error) {
	return hub.Listener(ctx, d.s.Node(), id)
}

// Suspend implements events.Directory: the listener's document says it
// is suspended, and why; a listener removed meanwhile stays removed.
func (d directory) Suspend(ctx context.Context, id, reason string) error {
	return hub.Suspend(ctx, d.s.Node(), id, reason)
}

// Order implements events.Directory: the newest orders are looked at
// first, since the notifier asks about recent records; an item of an order
// that left memory is found on the store's shelf.
func (d directory) Order(ctx context.Context, itemKind, item string) (order string, ok bool, err error) {
	s := d.s
	defer func() {
		if kind := shelfKinds[itemKind]; err == nil && !ok && s.Shelf != nil && kind != "" {
			order, ok, err = s.Shelf.Owner(kind, item)
		}
	}()
	err = s.Node().Read(ctx, func() {
		switch {
		case itemKind == "productOrderItem" && s.COM != nil:
			orders := s.COM.Orders()
			for i := len(orders) - 1; i >= 0 && !ok; i-- {
				ok = slices.ContainsFunc(orders[i].Items, func(it tmf.ProductOrderItem) bool { return it.ID == item })
				order = orders[i].ID
			}
		case itemKind == "serviceOrderItem" && s.SOM != nil:
			orders := s.SOM.Orders()
			for i := len(orders) - 1; i >= 0 && !ok; i-- {
				ok = slices.ContainsFunc(orders[i].Items, func(it tmf.ServiceOrderItem) bool { return it.ID == item })
				order = orders[i].ID
			}
		case itemKind == "resourceOrderItem" && s.ROM != nil:
			orders := s.ROM.Orders()
			for i := len(orders) - 1; i >= 0 && !ok; i-- {
				ok = slices.ContainsFunc(orders[i].Items, func(it tmf.ResourceOrderItem) bool { return it.ID == item })
				order = orders[i].ID
			}
		}
	})
	if !ok {
		order = ""
	}
	return order, ok, err
}

package tmf639

import (
	"context"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/rom"
)

// ResourceType is the @type a GET of the resource with id gives, for the
// hub's events of it (events.Types): a network resource's kind, in ROM's
// memory or on the shelf (lasting: it never changes), or a registered
// resource's @type as its client last wrote it; "" when there is no such
// resource (any more) or this process keeps no resources. An error means
// the engine or the store did not answer.
func ResourceType(ctx context.Context, n *tmf630.Node, id string) (typ string, lasting bool, err error) {
	if n.ROM == nil {
		return "", false, nil
	}
	err = n.Read(ctx, func() {
		if res := n.ROM.Resources.Get(id); res != nil {
			typ, lasting = res.ResourceType, true
		} else if n.Docs != nil {
			if d := n.Docs.Get(registeredResources, id); d != nil {
				typ, _ = d.Body["@type"].(string)
			}
		}
	})
	if err != nil || typ != "" {
		return typ, lasting, err
	}
	if n.Shelf == nil {
		return "", false, nil
	}
	d, ok, err := n.Shelf.Shelved(rom.ResourceShelfKind, id)
	if err != nil || !ok {
		return "", false, err
	}
	res, err := rom.ShelvedResource(d.Body)
	if err != nil { // its GET is a 500, asking again would not help: its API's @type
		return "", false, nil
	}
	return res.ResourceType, true, nil
}

package tmf639

import (
	"context"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/rom"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// ResourceType is the @type and @baseType a GET of the resource with id
// gives, for the hub's events of it (events.Types): a network resource's
// kind and class, in ROM's memory or on the shelf (lasting: they never
// change), or a registered resource's as its client last wrote them; ""
// when there is no such resource (any more) or this process keeps no
// resources. An error means the engine or the store did not answer.
func ResourceType(ctx context.Context, n *tmf630.Node, id string) (typ, base string, lasting bool, err error) {
	if n.ROM == nil {
		return "", "", false, nil
	}
	err = n.Read(ctx, func() {
		if res := n.ROM.Resources.Get(id); res != nil {
			typ, base, lasting = res.ResourceType, baseType(res), true
		} else if n.Docs != nil {
			if d := n.Docs.Get(registeredResources, id); d != nil {
				typ, _ = d.Body["@type"].(string)
				base, _ = d.Body["@baseType"].(string)
			}
		}
	})
	if err != nil || typ != "" {
		return typ, base, lasting, err
	}
	if n.Shelf == nil {
		return "", "", false, nil
	}
	d, ok, err := n.Shelf.Shelved(rom.ResourceShelfKind, id)
	if err != nil || !ok {
		return "", "", false, err
	}
	res, err := rom.ShelvedResource(d.Body)
	if err != nil { // its GET is a 500, asking again would not help: its API's @type
		return "", "", false, nil
	}
	return res.ResourceType, baseType(res), true, nil
}

// baseType is the v4 class of a network resource, by its category.
func baseType(res *tmf.Resource) string {
	switch res.Category {
	case "physical":
		return "PhysicalResource"
	case "logical":
		return "LogicalResource"
	}
	return "Resource"
}

package api

import (
	"context"

	"github.com/ordertwin/ordertwin/core/api/tmf639"
	"github.com/ordertwin/ordertwin/core/events"
)

// Type implements events.Types: a resource's @type and @baseType, as
// TMF639's GET gives them, for the events of it.
func (d directory) Type(ctx context.Context, field, id string) (typ events.EntityType, lasting bool, err error) {
	if field != "resource" {
		return typ, false, nil
	}
	typ.Type, typ.BaseType, lasting, err = tmf639.ResourceType(ctx, d.s.Node(), id)
	return typ, lasting, err
}

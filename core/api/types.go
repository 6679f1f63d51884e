package api

import (
	"context"

	"github.com/ordertwin/ordertwin/core/api/tmf639"
)

// Type implements events.Types: a resource's @type, as TMF639's GET gives
// it, for the events of it.
func (d directory) Type(ctx context.Context, field, id string) (typ string, lasting bool, err error) {
	if field != "resource" {
		return "", false, nil
	}
	return tmf639.ResourceType(ctx, d.s.Node(), id)
}

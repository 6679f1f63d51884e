package ui

import (
	"context"
	"net/http"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
)

// ResourceUsePath is where the network's resource use is read: ports per
// OLT and exchange, VLANs and subnets per pool, used and free.
const ResourceUsePath = "/ordertwin/v1/resourceUse"

// ResourceUse reads what the network has in use, between two steps of
// the engine (the twin's Use, as serve wires it); an error means the
// engine did not answer.
type ResourceUse func(ctx context.Context) (any, error)

// serve answers the resource use as JSON, or a 503 when the engine does
// not answer.
func (read ResourceUse) serve(w http.ResponseWriter, r *http.Request) {
	use, err := read(r.Context())
	if err != nil {
		tmf630.WriteError(w, tmf630.Unavailable(err))
		return
	}
	tmf630.WriteJSON(w, http.StatusOK, use)
}

package ordering

import (
	"net/http"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// FromPeer takes a request that a peer sent (it has the stream headers):
// decode makes the message of its body, which goes to component to as a
// numbered delivery, once. It reports whether the request was a peer's
// (and answered). The server's (core/api), which knows its links.
type FromPeer func(w http.ResponseWriter, r *http.Request, to engine.Address, decode func([]byte) (any, *tmf630.Error)) bool

// PeerCancel is the body of a cancelServiceOrder sent by a peer COM: the
// order by id or, before SOM's id is known, by external id, and the items
// when only some are cancelled (extensions to TMF641's
// CancelServiceOrder, which cancels a whole order by id).
type PeerCancel struct {
	Order  PeerCancelOrder `json:"serviceOrder"`
	Reason string          `json:"cancellationReason,omitempty"`
	Items  []string        `json:"serviceOrderItem,omitempty"`
}

// PeerCancelResource is the same for cancelResourceOrder.
type PeerCancelResource struct {
	Order  PeerCancelOrder `json:"resourceOrder"`
	Reason string          `json:"cancellationReason,omitempty"`
	Items  []string        `json:"orderItem,omitempty"`
}

// PeerCancelOrder names the order a peer cancels.
type PeerCancelOrder struct {
	ID         string `json:"id"`
	ExternalID string `json:"externalId,omitempty"`
}

// DecodePeerCancel reads a peer's cancellation (see PeerCancel) of a
// service order, or of a resource order when resource.
func DecodePeerCancel(resource bool) func([]byte) (any, *tmf630.Error) {
	return func(body []byte) (any, *tmf630.Error) {
		var c PeerCancel
		if resource {
			var rc PeerCancelResource
			if e := tmf630.DecodeObject(body, &rc); e != nil {
				return nil, e
			}
			c = PeerCancel(rc)
		} else if e := tmf630.DecodeObject(body, &c); e != nil {
			return nil, e
		}
		if c.Order.ID == "" && c.Order.ExternalID == "" {
			return nil, tmf630.NewError(http.StatusBadRequest, "the order: want its id or externalId")
		}
		return &tmf.CancelRequest{OrderID: c.Order.ID, ExternalID: c.Order.ExternalID, Items: c.Items, Reason: c.Reason}, nil
	}
}

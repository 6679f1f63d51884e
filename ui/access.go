package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/ordertwin/ordertwin/core/auth"
)

// The read route of the API that answers for each kind of record: who
// may read the entity may see its records (auth.Table). A kind not named
// here is the operators' (jeopardies, milestones, retries, shipments,
// waves' service orders…); hub listeners are the admins'.
var readRoute = map[string]string{
	"quote":            "GET /tmf-api/quoteManagement/v4/quote",
	"quoteDigest":      "GET /tmf-api/quoteManagement/v4/quote",
	"approval":         "GET /tmf-api/quoteManagement/v4/quote",
	"authorization":    "GET /tmf-api/quoteManagement/v4/quote",
	"productOrder":     "GET /tmf-api/productOrderingManagement/v4/productOrder",
	"productOrderItem": "GET /tmf-api/productOrderingManagement/v4/productOrder",
	"wave":             "GET /tmf-api/productOrderingManagement/v4/productOrder",
	"amendment":        "GET /tmf-api/productOrderingManagement/v4/productOrder",
	"cancellation":     "GET /tmf-api/productOrderingManagement/v4/productOrder",
	"product":          "GET /tmf-api/productInventory/v4/product",
	"service":          "GET /tmf-api/serviceInventory/v4/service",
	"resource":         "GET /tmf-api/resourceInventoryManagement/v4/resource",
	"hub":              "",
}

// operatorsRoute is the route whose readers see the kinds readRoute
// does not name.
const operatorsRoute = "GET /tmf-api/serviceOrdering/v4/serviceOrder"

var policy = auth.NewPolicy(false)

// Sees tells whether id may see the records of kind on the stream.
func Sees(id auth.Identity, kind string) bool {
	route, named := readRoute[kind]
	switch {
	case !named:
		route = operatorsRoute
	case route == "":
		return id.Has(auth.Admin)
	}
	return policy.Allows(id, route)
}

// Parties tells the party (the customer) an entity belongs to, for the
// callers bound to one: core/api's directory of the hub notifier
// (Server.Listeners) answers both. An error means "ask again later".
type Parties interface {
	// Party is the party of the entity id of an API's field (productOrder,
	// quote, product, service); "" for none.
	Party(ctx context.Context, field, id string) (party string, err error)
	// Order is the order whose item, of journal kind itemKind, is item.
	Order(ctx context.Context, itemKind, item string) (order string, ok bool, err error)
}

// tenancy decides which records a caller bound to a party sees: those of
// its party's entities, as Parties answers, each entity asked once.
type tenancy struct {
	parties Parties
	tenant  string
	known   map[string]string // field + " " + id → party
}

// maxKnown bounds what a connection remembers of parties.
const maxKnown = 100_000

// sees tells whether the record of kind about entity is the tenant's.
func (t *tenancy) sees(ctx context.Context, kind, entity string) (bool, error) {
	head, _, _ := strings.Cut(entity, "/")
	var field, id string
	switch kind {
	case "quote", "quoteDigest", "approval", "authorization":
		field, id = "quote", head
	case "productOrder", "wave", "amendment", "cancellation":
		field, id = "productOrder", head
	case "productOrderItem":
		field, id = "productOrderItem", entity
	case "product", "service":
		field, id = kind, entity
	default:
		return false, nil // no party's: network, service and resource orders
	}
	party, err := t.party(ctx, field, id)
	if err != nil {
		return false, err
	}
	if party == "" && field == "productOrder" { // an item's amendment or cancellation
		if party, err = t.party(ctx, "productOrderItem", entity); err != nil {
			return false, err
		}
	}
	return party == t.tenant, nil
}

func (t *tenancy) party(ctx context.Context, field, id string) (string, error) {
	key := field + " " + id
	if p, ok := t.known[key]; ok {
		return p, nil
	}
	var party string
	if field == "productOrderItem" {
		order, ok, err := t.parties.Order(ctx, field, id)
		if err != nil {
			return "", fmt.Errorf("the order of item %s: %w", id, err)
		}
		if ok {
			if party, err = t.party(ctx, "productOrder", order); err != nil {
				return "", err
			}
		}
	} else {
		var err error
		if party, err = t.parties.Party(ctx, field, id); err != nil {
			return "", fmt.Errorf("the party of %s %s: %w", field, id, err)
		}
	}
	if t.known == nil || len(t.known) >= maxKnown {
		t.known = map[string]string{}
	}
	t.known[key] = party
	return party, nil
}

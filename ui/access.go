package ui

import (
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

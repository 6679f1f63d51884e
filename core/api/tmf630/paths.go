package tmf630

// Base paths of the TMF APIs (docs/architecture.md §7: the exact v4 base paths).
const (
	ProductOrdering   = "/tmf-api/productOrderingManagement/v4"
	QuoteManagement   = "/tmf-api/quoteManagement/v4"
	ProductCatalog    = "/tmf-api/productCatalogManagement/v4"
	ServiceCatalog    = "/tmf-api/serviceCatalogManagement/v4"
	ProductInventory  = "/tmf-api/productInventory/v4"
	ServiceInventory  = "/tmf-api/serviceInventory/v4"
	ResourceInventory = "/tmf-api/resourceInventoryManagement/v4"
	ServiceOrdering   = "/tmf-api/serviceOrdering/v4"
	ResourceOrdering  = "/tmf-api/resourceOrderingManagement/v4"
)

// OfferingQualification is the base path of TMF679 v4, product offering
// qualification: the per-site feasibility check.
const OfferingQualification = "/tmf-api/productOfferingQualification/v4"

// Headers between the instances of a deployment of several shards
// (docs/architecture.md §7, "Scale-out"): ForwardedHeader marks a request
// one instance forwarded to another (the instance forwarding it); with
// it, ListenerHeader gives a hub listener registered in every shard the
// id its first shard gave it.
const (
	ForwardedHeader = "Ordertwin-Forwarded"
	ListenerHeader  = "Ordertwin-Listener"
)

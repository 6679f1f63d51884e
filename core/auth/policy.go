package auth

import (
	"slices"
	"strings"
)

// The base paths of the APIs the table names.
const (
	productOrdering       = "/tmf-api/productOrderingManagement/v4"
	quoteManagement       = "/tmf-api/quoteManagement/v4"
	offeringQualification = "/tmf-api/productOfferingQualification/v4"
	productCatalog        = "/tmf-api/productCatalogManagement/v4"
	serviceCatalog        = "/tmf-api/serviceCatalogManagement/v4"
	productInventory      = "/tmf-api/productInventory/v4"
	serviceInventory      = "/tmf-api/serviceInventory/v4"
	resourceInventory     = "/tmf-api/resourceInventoryManagement/v4"
	serviceOrdering       = "/tmf-api/serviceOrdering/v4"
	resourceOrdering      = "/tmf-api/resourceOrderingManagement/v4"
	peerStreams           = "/ordertwin/v1/peerStream"
	consoleStream         = "/ordertwin/v1/stream"
	console               = "/ordertwin/v1"
	worklist              = "/ordertwin/v1/worklist"
	operatorAction        = "/ordertwin/v1/operatorAction"
)

// Who may do what, by kind of work.
var (
	everyone        = Roles
	quoteReaders    = []Role{Sales, ApproverTechnical, ApproverCommercial, ApproverCustomer, Operations, Admin}
	orderReaders    = []Role{Sales, Operations, Partner, Admin}
	placers         = []Role{Sales, Admin}
	approvers       = []Role{ApproverTechnical, ApproverCommercial, ApproverCustomer, Admin}
	operators       = []Role{Operations, Admin}
	partnerReaders  = []Role{Operations, Partner, Admin}
	qualifyReaders  = []Role{Sales, Operations, Admin}
	admins          = []Role{Admin}
	peers           = []Role{Peer}
	peersAndAdmins  = []Role{Peer, Admin}
	peersOperations = []Role{Peer, Operations, Admin}
	planners        = []Role{Sales, Operations, Admin}
)

// Rule gives the roles that may call a route: Route is the pattern the
// API registers ("GET /tmf-api/…/productOrder/{id}").
type Rule struct {
	Route string
	Roles []Role
}

// Table is every route of the APIs and who may call it. The tenant rule
// comes on top: a scoped identity (Identity.Scoped) sees and changes its
// tenant's entities only, and another party's are not found.
var Table = concat(
	collection(productOrdering+"/productOrder", orderReaders, placers, placers, orderReaders),
	[]Rule{
		{"GET " + productOrdering + "/cancelProductOrder", operators},
		{"GET " + productOrdering + "/cancelProductOrder/{id}", operators},
		{"POST " + productOrdering + "/cancelProductOrder", operators},
		{"GET " + quoteManagement + "/quote", quoteReaders},
		{"GET " + quoteManagement + "/quote/{id}", quoteReaders},
		{"POST " + quoteManagement + "/quote", placers},
		// An approver decides its own stage only (Identity.Decides).
		{"PATCH " + quoteManagement + "/quote/{id}", approvers},
	},
	collection(offeringQualification+"/productOfferingQualification", qualifyReaders, placers, placers, placers),
	collection(productCatalog+"/productOffering", everyone, admins, admins, admins),
	collection(productCatalog+"/productSpecification", everyone, admins, admins, admins),
	collection(productCatalog+"/productOfferingPrice", everyone, admins, admins, admins),
	[]Rule{
		{"GET " + productCatalog + "/catalog", everyone},
		{"GET " + productCatalog + "/catalog/{id}", everyone},
		{"GET " + serviceCatalog + "/serviceSpecification", everyone},
		{"GET " + serviceCatalog + "/serviceSpecification/{id}", everyone},
		{"GET " + serviceInventory + "/service/{$}", partnerReaders},
	},
	collection(productInventory+"/product", orderReaders, admins, admins, admins),
	collection(serviceInventory+"/service", partnerReaders, admins, admins, admins),
	collection(resourceInventory+"/resource", partnerReaders, admins, admins, admins),
	collection(serviceOrdering+"/serviceOrder", operators, peersAndAdmins, admins, admins),
	collection(resourceOrdering+"/resourceOrder", operators, peersAndAdmins, admins, admins),
	[]Rule{
		{"GET " + serviceOrdering + "/cancelServiceOrder", operators},
		{"GET " + serviceOrdering + "/cancelServiceOrder/{id}", operators},
		{"POST " + serviceOrdering + "/cancelServiceOrder", peersOperations},
		{"GET " + resourceOrdering + "/cancelResourceOrder", operators},
		{"GET " + resourceOrdering + "/cancelResourceOrder/{id}", operators},
		{"POST " + resourceOrdering + "/cancelResourceOrder", peersOperations},
		// The peer listeners: a peer process's events and streams.
		{"POST " + serviceOrdering + "/listener/{event}", peers},
		{"POST " + resourceOrdering + "/listener/{event}", peers},
		{"GET " + peerStreams + "/{stream}", peers},
		{"GET /metrics", operators},
		// The console's stream of committed records: each record goes
		// to the roles that may read its entity (ui.Sees).
		{"GET " + consoleStream, everyone},
		// The network's resource use (ui.ResourceUsePath).
		{"GET /ordertwin/v1/resourceUse", operators},
		// What waits on a person, and the actions people take on it.
		{"GET " + worklist, operators},
		{"GET " + worklist + "/{id}", operators},
		{"GET " + operatorAction, operators},
		{"GET " + operatorAction + "/{id}", operators},
		{"POST " + operatorAction, operators},
	},
	// The console's controls (ui): what-ifs of the scenario library for
	// those who plan; the clock and the twin's faults for operations; a
	// scenario run places orders as its caller, who must be a placer.
	[]Rule{
		{"GET " + console + "/scenario", planners},
		{"GET " + console + "/scenario/{id}", planners},
		{"GET " + console + "/whatIf", planners},
		{"POST " + console + "/whatIf", planners},
		{"GET " + console + "/whatIf/{id}", planners},
		{"DELETE " + console + "/whatIf/{id}", planners},
		{"GET " + console + "/clock", operators},
		{"PATCH " + console + "/clock", operators},
		{"POST " + console + "/clock/step", operators},
		{"GET " + console + "/fault", operators},
		{"POST " + console + "/fault", operators},
		{"DELETE " + console + "/fault/{name...}", operators},
		{"POST " + console + "/scenarioRun", placers},
		{"POST " + console + "/siteAddition", placers},
	},
	// A hub: who may read the API's entities may hear their events.
	hub(productOrdering, orderReaders),
	hub(quoteManagement, quoteReaders),
	hub(productCatalog, everyone),
	hub(serviceCatalog, everyone),
	hub(productInventory, orderReaders),
	hub(serviceInventory, partnerReaders),
	hub(resourceInventory, partnerReaders),
	hub(serviceOrdering, operators),
	hub(resourceOrdering, operators),
)

// Public are the routes anyone may call, unauthenticated: health,
// readiness, and the console's page and its files (they hold no data: the
// page signs in with a token to read the APIs and the stream).
var Public = []string{"GET /healthz", "GET /readyz", "GET /{$}", "GET /console/{file}"}

// collection are the rules of a TMF collection: list and read, create,
// patch, delete.
func collection(path string, read, create, patch, del []Role) []Rule {
	return []Rule{{"GET " + path, read}, {"GET " + path + "/{id}", read}, {"POST " + path, create},
		{"PATCH " + path + "/{id}", patch}, {"DELETE " + path + "/{id}", del}}
}

func hub(base string, roles []Role) []Rule {
	return []Rule{{"POST " + base + "/hub", roles}, {"GET " + base + "/hub/{id}", roles},
		{"PATCH " + base + "/hub/{id}", roles}, {"DELETE " + base + "/hub/{id}", roles}}
}

func concat(rules ...[]Rule) []Rule { return slices.Concat(rules...) }

// Policy answers who may call a route, from Table.
type Policy struct {
	roles  map[string][]Role
	public map[string]bool
}

// NewPolicy compiles Table; publicMetrics adds GET /metrics to the public
// routes.
func NewPolicy(publicMetrics bool) *Policy {
	p := &Policy{roles: map[string][]Role{}, public: map[string]bool{}}
	for _, r := range Table {
		if _, dup := p.roles[r.Route]; dup {
			panic("auth: route " + r.Route + " twice in the table")
		}
		p.roles[r.Route] = r.Roles
	}
	for _, r := range Public {
		p.public[r] = true
	}
	if publicMetrics {
		p.public["GET /metrics"] = true
	}
	return p
}

// Public tells whether route needs no authentication.
func (p *Policy) Public(route string) bool { return p.public[route] }

// Allows tells whether id may call route, the pattern the request
// matched. A route without a method (one that only answers which
// methods it takes) or no route at all (a 404 or 405 to come) is open to
// every authenticated identity; a route missing from the table to admin
// alone.
func (p *Policy) Allows(id Identity, route string) bool {
	method, _, ok := strings.Cut(route, " ")
	if route == "" || route == "/" || !ok || strings.HasPrefix(method, "/") {
		return true
	}
	roles, known := p.roles[route]
	if !known {
		roles = admins
	}
	return slices.ContainsFunc(id.Roles, func(r Role) bool { return slices.Contains(roles, r) })
}

package tmf630

import (
	"net/http"
	"strings"

	"github.com/ordertwin/ordertwin/core/auth"
	"github.com/ordertwin/ordertwin/core/events"
)

// Caller is the identity of r, and whether it is bound to a tenant.
func Caller(r *http.Request) (auth.Identity, bool) {
	id, ok := auth.From(r.Context())
	return id, ok && id.Scoped()
}

// Sees tells whether the caller of r may see what belongs to party: any
// caller not bound to a tenant, a scoped one its tenant's only.
func Sees(r *http.Request, party string) bool {
	id, scoped := Caller(r)
	return !scoped || id.Sees(party)
}

// Visible tells whether the caller of r may see the wire entity v: its
// customer (relatedParty with role customer) is the caller's tenant, or
// the caller is not bound to one.
func Visible(r *http.Request, v any) bool {
	if _, scoped := Caller(r); !scoped {
		return true
	}
	m, err := AsMap(v)
	if err != nil {
		return false
	}
	return Sees(r, CustomerOf(m))
}

// CustomerOf is the id of the customer party of a wire entity as a map
// (events.CustomerOf: the notifier reads an event's the same way).
func CustomerOf(m map[string]any) string { return events.CustomerOf(m) }

// ActsFor refuses (403) a scoped caller acting for a party other than
// its tenant; what names the field that gives the party.
func ActsFor(r *http.Request, what, party string) *Error {
	id, scoped := Caller(r)
	if !scoped || id.Sees(party) {
		return nil
	}
	if party == "" {
		return NewError(http.StatusForbidden, what+": "+id.Subject+" acts for party "+id.Tenant+": name it as the customer")
	}
	return NewError(http.StatusForbidden, what+": "+id.Subject+" acts for party "+id.Tenant+" only, not "+party)
}

// KeyOf is the idempotency key of a request that creates something in
// scope (a collection, a hub): its Idempotency-Key header, in the space of
// the caller's party when it is bound to one (one party's key never
// answers with another's entity); "" for none.
func KeyOf(r *http.Request, scope string) string {
	k := r.Header.Get("Idempotency-Key")
	if k == "" {
		return ""
	}
	if id, scoped := Caller(r); scoped {
		k = "party " + id.Tenant + " " + k
	}
	if scope == "" {
		return "Idempotency-Key " + k
	}
	return scope + " " + k
}

// RoleNames are the names of roles, comma-separated, as an error shows them.
func RoleNames(roles []auth.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

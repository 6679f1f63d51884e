package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Role is what an identity may do (see Policy for the routes of each).
type Role string

// The roles. Sales, Partner and ApproverCustomer act for one party, the
// identity's tenant; the others act across all parties.
const (
	// Sales places quotes, qualifications and product orders for its
	// customer, and follows them.
	Sales Role = "sales"
	// The approvers each decide one approval stage of a quote.
	ApproverTechnical  Role = "approver-technical"
	ApproverCommercial Role = "approver-commercial"
	ApproverCustomer   Role = "approver-customer"
	// Operations cancels orders and reads everything but designs.
	Operations Role = "operations"
	// Partner reads its own party's orders and inventory, and hears
	// their events.
	Partner Role = "partner"
	// Admin designs the catalog, registers resources, and does
	// everything else.
	Admin Role = "admin"
	// Peer is a COM, SOM or ROM of the same deployment in another
	// process, authenticated by its message signature: it only delivers
	// messages. It is never given to a token or an API key.
	Peer Role = "peer"
)

// Roles are the roles a token or an API key may carry, in the order the
// documentation lists them.
var Roles = []Role{Sales, ApproverTechnical, ApproverCommercial, ApproverCustomer, Operations, Partner, Admin}

// ParseRole reads a role by name; an unknown one is an error that lists
// the known ones.
func ParseRole(name string) (Role, error) {
	r := Role(strings.TrimSpace(name))
	if !slices.Contains(Roles, r) {
		known := make([]string, len(Roles))
		for i, k := range Roles {
			known[i] = string(k)
		}
		return "", fmt.Errorf("role %q: not a role (%s)", name, strings.Join(known, ", "))
	}
	return r, nil
}

// scopedRoles act for their tenant only.
var scopedRoles = []Role{Sales, Partner, ApproverCustomer}

// Stage is the approval stage a role decides ("" for a role that is not
// an approver).
func (r Role) Stage() string {
	switch r {
	case ApproverTechnical:
		return "technical"
	case ApproverCommercial:
		return "commercial"
	case ApproverCustomer:
		return "customer"
	}
	return ""
}

// Method is how an identity was authenticated.
type Method string

// The methods.
const (
	BearerJWT Method = "jwt"
	APIKey    Method = "api-key"
	PeerHMAC  Method = "peer-hmac"
)

// Identity is who is asking: a subject with roles, bound to a tenant (a
// party id) when it acts for one party.
type Identity struct {
	Subject string
	Roles   []Role
	// Tenant is the party the identity acts for ("" for none).
	Tenant string
	Method Method
	// Issuer is the token's issuer (iss), for a JWT.
	Issuer string
	// Expires is when the server stops taking the credential: a JWT's exp
	// and the leeway after it. Zero for one that does not expire (an API
	// key). What a credential opened (a stream) ends then.
	Expires time.Time
}

// Has tells whether the identity holds role r.
func (id Identity) Has(r Role) bool { return slices.Contains(id.Roles, r) }

// Scoped tells whether the identity acts for its tenant only: it holds
// no role that acts across parties.
func (id Identity) Scoped() bool {
	for _, r := range id.Roles {
		if !slices.Contains(scopedRoles, r) {
			return false
		}
	}
	return true
}

// Sees tells whether the identity may see what belongs to party: any
// party for an identity that is not scoped, its tenant's otherwise.
func (id Identity) Sees(party string) bool {
	return !id.Scoped() || (id.Tenant != "" && party == id.Tenant)
}

// Decides tells whether the identity may decide an approval stage.
func (id Identity) Decides(stage string) bool {
	if id.Has(Admin) {
		return true
	}
	return slices.ContainsFunc(id.Roles, func(r Role) bool { return r.Stage() == stage })
}

func (id Identity) check() error {
	if id.Subject == "" {
		return fmt.Errorf("no subject")
	}
	if len(id.Roles) == 0 {
		return fmt.Errorf("subject %q: no role", id.Subject)
	}
	if id.Scoped() && id.Tenant == "" {
		return fmt.Errorf("subject %q: role %s acts for one party: give its tenant", id.Subject, id.Roles[0])
	}
	return nil
}

type contextKey struct{}

// WithIdentity is ctx carrying id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, contextKey{}, id)
}

// From is the identity of the request whose context is ctx; ok is false
// when the request was not authenticated (a public route, or a server
// that authenticates nobody).
func From(ctx context.Context) (id Identity, ok bool) {
	id, ok = ctx.Value(contextKey{}).(Identity)
	return id, ok
}

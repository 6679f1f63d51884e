package events

import (
	"context"
	"fmt"
	"strings"
)

// Parties is what a Directory answers besides when listeners may be
// bound to a tenant (Listener.Tenant): the party (the customer) an
// entity belongs to, by the event's field (productOrder) and the entity's
// id; "" for none. An error means "ask again later".
type Parties interface {
	Party(ctx context.Context, field, id string) (party string, err error)
}

// tenantHears tells whether a listener bound to tenant ("" for none)
// hears ev of api: the catalogs' events are everyone's; any other only
// its party's, as the directory's Parties says (none without it).
func (n *Notifier) tenantHears(ctx context.Context, api *API, tenant string, ev *Event) (bool, error) {
	if tenant == "" || api == ProductCatalog || api == ServiceCatalog {
		return true, nil
	}
	parties, ok := n.opt.Directory.(Parties)
	if !ok {
		return false, nil
	}
	for field, ent := range ev.Event {
		id, _ := ent["id"].(string)
		party := CustomerOf(ent) // the event's entity names it, mostly
		if party == "" {
			var err error
			if party, err = parties.Party(ctx, field, id); err != nil {
				return false, fmt.Errorf("the party of %s %s: %w", field, id, err)
			}
		}
		if party != tenant {
			return false, nil
		}
	}
	return len(ev.Event) > 0, nil
}

// CustomerOf is the customer a TMF entity (an event's, or a wire entity
// as a map) names among its related parties, "" for none.
func CustomerOf(ent map[string]any) string {
	parties, _ := ent["relatedParty"].([]any)
	for _, p := range parties {
		if m, ok := p.(map[string]any); ok {
			if role, _ := m["role"].(string); strings.EqualFold(role, "customer") {
				id, _ := m["id"].(string)
				return id
			}
		}
	}
	return ""
}

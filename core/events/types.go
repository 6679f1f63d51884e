package events

import (
	"context"
	"fmt"
)

// Types is what a Directory answers besides when an API's entities have
// @types of their own (a resource's kind: OLTPort, IPv4Subnet, ...): the
// @type its GET gives the entity, by the event's field (resource) and the
// entity's id, so that an event carries the same; "" when it knows none
// (the entity is gone), and the event says its API's (Resource). lasting:
// the entity's type never changes (a network resource's), so the notifier
// may keep it; a registered resource's client may change it. An error
// means "ask again later". Without it, events carry their API's @type.
type Types interface {
	Type(ctx context.Context, field, id string) (t EntityType, lasting bool, err error)
}

// EntityType is the @type of an entity as its GET gives it, and its
// @baseType ("" for none): a resource's kind and class (OLTPort,
// PhysicalResource).
type EntityType struct {
	Type, BaseType string
}

// typeOf is the @type (and @baseType) of ent's entity id on the wire: its
// own, when ent has one (Entity.ownType) and the Directory tells it
// (Types), or ent's, with no @baseType.
func (t *translator) typeOf(ctx context.Context, ent *Entity, id string) (EntityType, error) {
	types, ok := t.dir.(Types)
	if !ent.ownType || !ok {
		return EntityType{Type: ent.Type}, nil
	}
	key := ent.Field + "\x00" + id
	t.mu.Lock()
	typ, ok := t.types[key]
	t.mu.Unlock()
	if ok {
		return typ, nil
	}
	typ, lasting, err := types.Type(ctx, ent.Field, id)
	if err != nil {
		return EntityType{}, fmt.Errorf("the @type of %s %s: %w", ent.Field, id, err)
	}
	if typ.Type == "" {
		return EntityType{Type: ent.Type}, nil
	}
	if lasting {
		t.mu.Lock()
		if t.types == nil || len(t.types) >= maxOwners {
			// Recent records' entities only, as for owners.
			t.types = map[string]EntityType{}
		}
		t.types[key] = typ
		t.mu.Unlock()
	}
	return typ, nil
}

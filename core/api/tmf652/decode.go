package tmf652

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/api/ordering"
	"github.com/ordertwin/ordertwin/core/api/orderwire"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// DecodeResourceOrder reads and checks the body of POST resourceOrder
// (TMF652 v4 ResourceOrder_Create) and returns the internal order ROM
// takes: JSON of the right types, the mandatory fields (orderItem, each
// item's id, action and resource specification, the order's place), no
// server-managed field, and what ROM needs to run the items: dependencies
// (dependsOn) on other items of the order and without a cycle, a resource
// to give back on each delete item. Every error is a 400 naming the field.
// Whether the specifications exist is checked against the catalog by the
// server, and whether the item ids are free by ROM.
func DecodeResourceOrder(body []byte) (*tmf.ResourceOrder, *tmf630.Error) {
	in, e := ordering.DecodeNew[orderwire.ResourceOrder](body, "resourceOrder")
	if e != nil {
		return nil, e
	}
	switch {
	case len(in.OrderItem) == 0:
		return nil, tmf630.NewError(http.StatusBadRequest, "orderItem: required, at least one item")
	case in.Place == nil || in.Place.ID == "":
		return nil, tmf630.NewError(http.StatusBadRequest, "place.id: required: the site whose resources the order allocates (ROM works per site)")
	}
	for i, r := range in.RelatedParty {
		if r.ID == "" {
			return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("relatedParty", i, "id")+": required")
		}
	}
	index := make(map[string]int, len(in.OrderItem))
	for i := range in.OrderItem {
		if e := checkResourceOrderItem(&in.OrderItem[i], i, index); e != nil {
			return nil, e
		}
		index[in.OrderItem[i].ID] = i
	}
	for i := range in.OrderItem {
		for j, rel := range in.OrderItem[i].OrderItemRelationship {
			if _, ok := index[rel.OrderItem.ItemID]; !ok {
				return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("orderItem", i, tmf630.Field("orderItemRelationship", j, "orderItem.itemId"))+": "+
					strconv.Quote(rel.OrderItem.ItemID)+" is not an item of the order")
			}
		}
	}
	if e := checkAcyclic(in.OrderItem, index); e != nil {
		return nil, e
	}
	if strings.TrimSpace(in.Place.Address) == "" && slices.ContainsFunc(in.OrderItem, func(it orderwire.ResourceOrderItem) bool { return it.Action != string(tmf.Delete) }) {
		// Taken, the order's items failed one by one, later.
		return nil, tmf630.NewError(http.StatusBadRequest, "place.address: required: an item that allocates finds the site's serving area, and its resources, by the site's address")
	}
	ro, err := orderwire.ResourceOrderFromWire(in, time.Time{}) // a new order has no date
	if err != nil {
		return nil, tmf630.NewError(http.StatusBadRequest, err.Error())
	}
	return ro, nil
}

// checkResourceOrderItem checks item i of a new resource order; index
// holds the items before it.
func checkResourceOrderItem(it *orderwire.ResourceOrderItem, i int, index map[string]int) *tmf630.Error {
	bad := func(name, msg string) *tmf630.Error {
		return tmf630.NewError(http.StatusBadRequest, tmf630.Field("orderItem", i, name)+": "+msg)
	}
	_, dup := index[it.ID]
	switch {
	case it.ID == "":
		return bad("id", "required")
	case dup:
		return bad("id", strconv.Quote(it.ID)+" is used by another item")
	case it.Action == "":
		return bad("action", "required")
	case it.Action != string(tmf.Add) && it.Action != string(tmf.Modify) && it.Action != string(tmf.Delete):
		return bad("action", strconv.Quote(it.Action)+" is not an order item action ROM takes (add, modify, delete)")
	case it.State != "":
		return bad("state", "set by the server; a new item must not carry it")
	case it.StateReason != "":
		return bad("stateReason", "set by the server; a new item must not carry it")
	case it.Milestone != "":
		return bad("milestone", "set by the server; a new item must not carry it")
	case it.CompletionDate != "":
		return bad("completionDate", "set by the server; a new item must not carry it")
	case it.ResourceSpecification == nil || it.ResourceSpecification.ID == "":
		return bad("resourceSpecification.id", "required: the kind of resource (OLTPort, VLAN, …)")
	case it.Action == string(tmf.Delete) && (it.Resource == nil || it.Resource.ID == ""):
		return bad("resource.id", "required: a delete item names the resource it gives back")
	case it.Action != string(tmf.Delete) && it.Resource != nil:
		return bad("resource", "set by ROM once allocated; only a delete item names a resource (the one it gives back)")
	}
	for j, c := range it.ResourceCharacteristic {
		if c.Name == "" {
			return bad(tmf630.Field("resourceCharacteristic", j, "name"), "required")
		}
	}
	for j, rel := range it.OrderItemRelationship {
		switch {
		case rel.RelationshipType != orderwire.DependsOn:
			return bad(tmf630.Field("orderItemRelationship", j, "relationshipType"), strconv.Quote(rel.RelationshipType)+
				": ROM takes dependsOn (the item starts once the other completed)")
		case rel.OrderItem.ItemID == "":
			return bad(tmf630.Field("orderItemRelationship", j, "orderItem.itemId"), "required")
		case rel.OrderItem.ItemID == it.ID:
			return bad(tmf630.Field("orderItemRelationship", j, "orderItem.itemId"), "an item cannot depend on itself")
		case rel.OrderItem.ResourceOrderID != "" || rel.OrderItem.ResourceOrderHref != "":
			return bad(tmf630.Field("orderItemRelationship", j, "orderItem"), "an item depends on items of its own order only")
		}
	}
	return nil
}

// checkAcyclic refuses dependencies that go round in a circle: ROM would
// never start the items on it. index maps item ids to positions.
func checkAcyclic(items []orderwire.ResourceOrderItem, index map[string]int) *tmf630.Error {
	const (
		unseen = iota
		visiting
		done
	)
	mark := make([]int, len(items))
	var visit func(i int) *tmf630.Error
	visit = func(i int) *tmf630.Error {
		mark[i] = visiting
		for _, rel := range items[i].OrderItemRelationship {
			j := index[rel.OrderItem.ItemID]
			switch mark[j] {
			case visiting:
				return tmf630.NewError(http.StatusBadRequest, tmf630.Field("orderItem", i, "orderItemRelationship")+": "+strconv.Quote(items[i].ID)+
					" depends on "+strconv.Quote(items[j].ID)+", which depends on it, directly or not: the items would never start")
			case unseen:
				if e := visit(j); e != nil {
					return e
				}
			}
		}
		mark[i] = done
		return nil
	}
	for i := range items {
		if mark[i] == unseen {
			if e := visit(i); e != nil {
				return e
			}
		}
	}
	return nil
}

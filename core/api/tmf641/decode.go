package tmf641

import (
	"net/http"
	"strconv"
	"time"

	"github.com/ordertwin/ordertwin/core/api/ordering"
	"github.com/ordertwin/ordertwin/core/api/orderwire"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// DecodeServiceOrder reads and checks the body of POST serviceOrder
// (TMF641 v4 ServiceOrder_Create) and returns the internal order SOM
// takes: JSON of the right types, the mandatory fields (serviceOrderItem,
// each item's id, action and service specification, the site of its
// service), no server-managed field, and what SOM needs to orchestrate
// (one action per site). Every error is a 400 naming the field. Whether
// the specifications exist is checked against the catalog by the server.
func DecodeServiceOrder(body []byte) (*tmf.ServiceOrder, *tmf630.Error) {
	in, e := ordering.DecodeNew[orderwire.ServiceOrder](body, "serviceOrder")
	if e != nil {
		return nil, e
	}
	if len(in.ServiceOrderItem) == 0 {
		return nil, tmf630.NewError(http.StatusBadRequest, "serviceOrderItem: required, at least one item")
	}
	for i, r := range in.RelatedParty {
		if r.ID == "" {
			return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("relatedParty", i, "id")+": required")
		}
	}
	for i, r := range in.ExternalReference {
		if r.Name == "" {
			return nil, tmf630.NewError(http.StatusBadRequest, tmf630.Field("externalReference", i, "name")+": required")
		}
	}
	seen := map[string]bool{}
	siteAction := map[string]string{}
	for i := range in.ServiceOrderItem {
		if e := checkServiceOrderItem(&in.ServiceOrderItem[i], i, seen, siteAction); e != nil {
			return nil, e
		}
	}
	so, err := orderwire.ServiceOrderFromWire(in, time.Time{}) // a new order has no date
	if err != nil {
		return nil, tmf630.NewError(http.StatusBadRequest, err.Error())
	}
	return so, nil
}

// checkServiceOrderItem checks item i of a new service order. seen holds
// the item ids before it, siteAction the action of each site so far.
func checkServiceOrderItem(it *orderwire.ServiceOrderItem, i int, seen map[string]bool, siteAction map[string]string) *tmf630.Error {
	bad := func(name, msg string) *tmf630.Error {
		return tmf630.NewError(http.StatusBadRequest, tmf630.Field("serviceOrderItem", i, name)+": "+msg)
	}
	svc := &it.Service
	switch {
	case it.ID == "":
		return bad("id", "required")
	case seen[it.ID]:
		return bad("id", strconv.Quote(it.ID)+" is used by another item")
	case it.Action == "":
		return bad("action", "required")
	case it.Action == "noChange":
		return bad("action", `"noChange" asks SOM for nothing: an item adds, modifies or deletes a service`)
	case it.Action != string(tmf.Add) && it.Action != string(tmf.Modify) && it.Action != string(tmf.Delete):
		return bad("action", strconv.Quote(it.Action)+" is not an order item action (add, modify, delete, noChange)")
	case it.State != "":
		return bad("state", "set by the server; a new item must not carry it")
	case it.StateReason != "":
		return bad("stateReason", "set by the server; a new item must not carry it")
	case svc.ServiceSpecification == nil || svc.ServiceSpecification.ID == "":
		return bad("service.serviceSpecification.id", "required: the CFS the item orders")
	case svc.State != "":
		return bad("service.state", "set by SOM as the service is installed")
	case svc.StartDate != "":
		return bad("service.startDate", "set by SOM as the service is installed")
	case len(svc.Place) != 1:
		return bad("service.place", "want the one site of the service, not "+strconv.Itoa(len(svc.Place))+" places")
	case svc.Place[0].ID == "":
		return bad("service.place[0].id", "required: SOM orchestrates per site")
	case it.ProductOrderItem != nil && it.ProductOrderItem.ID == "":
		return bad("productOrderItem.id", "required")
	}
	for j, c := range svc.ServiceCharacteristic {
		if c.Name == "" {
			return bad(tmf630.Field("service.serviceCharacteristic", j, "name"), "required")
		}
	}
	for j, r := range svc.RelatedParty {
		if r.ID == "" {
			return bad(tmf630.Field("service.relatedParty", j, "id"), "required")
		}
	}
	site := svc.Place[0].ID
	if a, ok := siteAction[site]; ok && a != it.Action {
		return bad("action", strconv.Quote(it.Action)+": the items of site "+strconv.Quote(site)+
			" share one action, and an earlier one is "+strconv.Quote(a)+" (place another order for the other change)")
	}
	siteAction[site] = it.Action
	seen[it.ID] = true
	return nil
}

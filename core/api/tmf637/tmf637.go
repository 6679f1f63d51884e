// Package tmf637 is TMF637 v4, product inventory: the products COM's
// orders created, read only (docs/api.md).
package tmf637

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Product is a TMF637 v4 Product on the wire: a product instance,
// one per site. The keys the conformance kit requires on every product
// (billingAccount, href, id, productCharacteristic, productOffering,
// productPrice, relatedParty, status) are always present: arrays may be
// empty, references null.
type Product struct {
	ID                    string                  `json:"id"`
	Href                  string                  `json:"href"`
	Name                  string                  `json:"name"`
	Status                string                  `json:"status"`
	StartDate             string                  `json:"startDate,omitempty"`
	TerminationDate       string                  `json:"terminationDate,omitempty"`
	ProductOffering       *tmf630.Ref             `json:"productOffering"`
	ProductSpecification  *tmf630.Ref             `json:"productSpecification,omitempty"`
	BillingAccount        *tmf630.Ref             `json:"billingAccount"`
	ProductCharacteristic []tmf630.Characteristic `json:"productCharacteristic"`
	Place                 []tmf630.Place          `json:"place"`
	RelatedParty          []tmf630.Ref            `json:"relatedParty"`
	ProductPrice          []tmf630.OrderPrice     `json:"productPrice"`
	RealizingService      []tmf630.Ref            `json:"realizingService"`
	ProductOrderItem      []relatedOrderItem      `json:"productOrderItem,omitempty"`
	Type                  string                  `json:"@type"`
}

// relatedOrderItem is a v4 RelatedProductOrderItem: the TMF622 order item
// that created the product.
type relatedOrderItem struct {
	OrderItemID      string `json:"orderItemId"`
	OrderItemAction  string `json:"orderItemAction"`
	ProductOrderID   string `json:"productOrderId"`
	ProductOrderHref string `json:"productOrderHref"`
	Role             string `json:"role"`
}

var productAttributes = tmf630.Attributes(Product{})

// inventory serves TMF637 from a node's COM.
type inventory struct{ *tmf630.Node }

// Routes routes TMF637 on mux when n runs COM: the products COM's orders
// created, read only. Products come from TMF622 orders: creating,
// changing or deleting one here is refused with 405.
func Routes(n *tmf630.Node, mux *http.ServeMux) {
	if n.COM == nil {
		return
	}
	s := &inventory{n}
	tmf630.ShelfWire(n, com.ProductShelfKind, com.ShelvedProduct, s.product)
	const coll = tmf630.ProductInventory + "/product"
	mux.HandleFunc("GET "+coll, s.listProducts)
	mux.HandleFunc("GET "+coll+"/{id}", s.getProduct)
	mux.Handle("POST "+coll, tmf630.NotOffered("GET",
		"products are created by TMF622 product orders ("+tmf630.ProductOrdering+"/productOrder), not here"))
	byOrder := tmf630.NotOffered("GET",
		"products are changed and terminated by TMF622 product orders ("+tmf630.ProductOrdering+"/productOrder), not here")
	mux.Handle("PATCH "+coll+"/{id}", byOrder)
	mux.Handle("DELETE "+coll+"/{id}", byOrder)
}

func (s *inventory) listProducts(w http.ResponseWriter, r *http.Request) {
	ords := map[string]uint64{}
	tmf630.ListShelved(s.Node, w, r, productAttributes, com.ProductShelfKind, func() []Product {
		products := s.COM.Products.All()
		slices.SortStableFunc(products, func(a, b *tmf.Product) int { return cmp.Compare(a.Ord, b.Ord) })
		for _, p := range products {
			ords[p.ID] = p.Ord
		}
		return tmf630.MapAll(products, s.product)
	}, func(p *Product) uint64 { return ords[p.ID] })
}

func (s *inventory) getProduct(w http.ResponseWriter, r *http.Request) {
	tmf630.GetOne(s.Node, w, r, com.ProductShelfKind, func(id string) *Product {
		p := s.COM.Products.Get(id)
		return tmf630.Ptr(p, p != nil, s.product)
	})
}

// product maps a product instance to the wire.
func (s *inventory) product(p *tmf.Product) Product { return ProductOf(s.Node, p) }

// ProductOf maps an inventory product to the wire, copying everything; it
// runs on the engine's goroutine. COM's product statuses (active, and
// terminated once a disconnect order completes) are v4 ProductStatusType
// values as they are.
func ProductOf(n *tmf630.Node, p *tmf.Product) Product {
	out := Product{ID: p.ID, Href: tmf630.EntityHref(tmf630.ProductInventory, "product", p.ID), Name: p.Name, Status: p.Status,
		StartDate:             n.Date(p.StartDate),
		ProductCharacteristic: tmf630.WireCharacteristics(p.Characteristics),
		Place:                 tmf630.SitePlaces(p.Place),
		RelatedParty:          tmf630.Refs(p.RelatedParty, "Organization"),
		ProductPrice:          []tmf630.OrderPrice{},
		RealizingService:      make([]tmf630.Ref, len(p.Services)),
		Type:                  "Product"}
	if p.TerminationDate > 0 {
		out.TerminationDate = n.Date(p.TerminationDate)
	}
	currency := ""
	if o := p.ProductOffering; o.ID != "" {
		out.ProductOffering = &tmf630.Ref{ID: o.ID, Href: tmf630.EntityHref(tmf630.ProductCatalog, "productOffering", o.ID),
			Name: o.Name, ReferredType: "ProductOffering"}
		if n.Catalog != nil {
			if off := n.Catalog.Offerings[o.ID]; off != nil {
				currency = off.Currency
				if spec := n.Catalog.Specs[off.Specification]; spec != nil {
					out.ProductSpecification = &tmf630.Ref{ID: spec.ID, Href: tmf630.EntityHref(tmf630.ProductCatalog, "productSpecification", spec.ID),
						Name: spec.Name, ReferredType: "ProductSpecification"}
				}
			}
		}
	}
	if a := p.BillingAccount; a != nil && a.ID != "" {
		out.BillingAccount = &tmf630.Ref{ID: a.ID, Name: a.Name, ReferredType: "BillingAccount"}
	}
	if p.MonthlyPrice > 0 {
		out.ProductPrice = append(out.ProductPrice, tmf630.Monthly("Monthly charge", currency, p.MonthlyPrice))
	}
	for i, svc := range p.Services {
		out.RealizingService[i] = tmf630.Ref{ID: svc.ID, Href: tmf630.EntityHref(tmf630.ServiceInventory, "service", svc.ID),
			Name: svc.Name, ReferredType: "Service"}
	}
	if p.ProductOrder != "" {
		out.ProductOrderItem = []relatedOrderItem{{OrderItemID: p.ProductOrderItem, OrderItemAction: string(tmf.Add),
			ProductOrderID: p.ProductOrder, ProductOrderHref: tmf630.EntityHref(tmf630.ProductOrdering, "productOrder", p.ProductOrder),
			Role: "creation"}}
	}
	return out
}

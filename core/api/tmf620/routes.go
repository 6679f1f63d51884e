package tmf620

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/docs"
	"github.com/ordertwin/ordertwin/core/engine"
)

// productCatalog serves TMF620 from a node's catalog and docs.
type productCatalog struct{ *tmf630.Node }

// Routes routes TMF620 Product Catalog Management v4 on mux when n has a
// catalog.
//
// The catalog file the server loaded (Node.Catalog) is the orderable catalog:
// its offerings, specification and prices are listed read-only. Clients
// may also design offerings, specifications and prices through the API:
// those are documents of the Docs component (durable, replayed after a
// restart), listed after the file's entries, and may be changed (merge
// patch) and deleted. A design's id is a prefix and a number (POD-001 for
// an offering, PSD-001 for a specification, POPD-001 for a price), so it
// never takes the id of a file entry written in the usual style.
func Routes(n *tmf630.Node, mux *http.ServeMux) {
	if n.Catalog == nil {
		return
	}
	s := &productCatalog{n}
	offerings, specs, prices := s.fileCatalog()
	(&catalogResource[ProductOffering, *ProductOffering]{
		s: s, name: "productOffering", prefix: "POD", file: offerings}).routes(mux)
	(&catalogResource[ProductSpecification, *ProductSpecification]{
		s: s, name: "productSpecification", prefix: "PSD", file: specs}).routes(mux)
	(&catalogResource[ProductOfferingPrice, *ProductOfferingPrice]{
		s: s, name: "productOfferingPrice", prefix: "POPD", file: prices}).routes(mux)

	catalogs := []Catalog{s.fileCatalogEntity()}
	known := tmf630.Attributes(Catalog{})
	mux.HandleFunc("GET "+tmf630.ProductCatalog+"/catalog", func(w http.ResponseWriter, r *http.Request) {
		if q, e := tmf630.ParseQuery(r.URL.Query(), known); e != nil {
			tmf630.WriteError(w, e)
		} else {
			tmf630.List(w, q, catalogs)
		}
	})
	mux.HandleFunc("GET "+tmf630.ProductCatalog+"/catalog/{id}", func(w http.ResponseWriter, r *http.Request) {
		q, e := tmf630.ParseQuery(r.URL.Query(), known)
		switch id := r.PathValue("id"); {
		case e != nil:
			tmf630.WriteError(w, e)
		case id != catalogs[0].ID:
			tmf630.WriteError(w, tmf630.NewError(http.StatusNotFound, "no catalog "+tmf630.Quote(id)))
		default:
			tmf630.One(w, q, &catalogs[0])
		}
	})
	mux.HandleFunc(tmf630.ProductCatalog+"/catalog", refuseMethod("GET"))
	mux.HandleFunc(tmf630.ProductCatalog+"/catalog/{id}", refuseMethod("GET"))
}

// catalogDesign is a pointer to a TMF620 resource clients may design.
type catalogDesign[T any] interface {
	*T
	Design
}

// catalogResource serves one TMF620 resource: the catalog file's entries
// (read-only) followed by the client designs of the Docs collection of
// the same name.
type catalogResource[T any, P catalogDesign[T]] struct {
	s      *productCatalog
	name   string // the path segment and the Docs collection
	prefix string // of design ids
	file   []T    // the catalog file's entries, built once
	known  []string
}

func (c *catalogResource[T, P]) routes(mux *http.ServeMux) {
	c.known = tmf630.Attributes(new(T))
	base := tmf630.ProductCatalog + "/" + c.name
	mux.HandleFunc("GET "+base, c.list)
	mux.HandleFunc("POST "+base, c.create)
	mux.HandleFunc("GET "+base+"/{id}", c.get)
	mux.HandleFunc("PATCH "+base+"/{id}", c.patch)
	mux.HandleFunc("DELETE "+base+"/{id}", c.delete)
	mux.HandleFunc(base, refuseMethod("GET, POST"))
	mux.HandleFunc(base+"/{id}", refuseMethod("GET, PATCH, DELETE"))
}

func (c *catalogResource[T, P]) list(w http.ResponseWriter, r *http.Request) {
	q, e := tmf630.ParseQuery(r.URL.Query(), c.known)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	var designs []*docs.Doc
	if c.s.Docs != nil {
		if e := c.s.Query(r.Context(), func() { designs = c.s.Docs.List(c.name) }); e != nil {
			tmf630.WriteError(w, e)
			return
		}
	}
	items := append(make([]T, 0, len(c.file)+len(designs)), c.file...)
	for _, d := range designs {
		t, e := c.render(d)
		if e != nil {
			tmf630.WriteError(w, e)
			return
		}
		items = append(items, *t)
	}
	tmf630.List(w, q, items)
}

func (c *catalogResource[T, P]) get(w http.ResponseWriter, r *http.Request) {
	q, e := tmf630.ParseQuery(r.URL.Query(), c.known)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	id := r.PathValue("id")
	if t := c.fileEntry(id); t != nil {
		tmf630.One(w, q, t)
		return
	}
	d, e := c.design(r, id)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	t, e := c.render(d)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	tmf630.One(w, q, t)
}

func (c *catalogResource[T, P]) create(w http.ResponseWriter, r *http.Request) {
	if c.s.Docs == nil {
		tmf630.WriteError(w, tmf630.NewError(http.StatusMethodNotAllowed, "this server keeps no client designs: the catalog is read-only"))
		return
	}
	body, e := tmf630.ReadBody(w, r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	var t T
	// A body naming id, href or lastUpdate is refused: the conformance kit
	// sends none of them, and a client that does expects them kept.
	if err := DecodeNew(body, P(&t)); err != nil {
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, err.Error()))
		return
	}
	stored, err := json.Marshal(&t)
	if err != nil {
		tmf630.WriteError(w, tmf630.NewError(http.StatusInternalServerError, err.Error()))
		return
	}
	d, e := c.command(r, "", docs.Put{Collection: c.name, Prefix: c.prefix, Body: stored})
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	out, e := c.render(d)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	tmf630.Created(w, P(out).Base().Href, out)
}

func (c *catalogResource[T, P]) patch(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if c.fileEntry(id) != nil {
		c.readOnly(w, id)
		return
	}
	d, e := c.design(r, id)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	body, e := tmf630.ReadBody(w, r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	// The patch is checked against the design as just read; the Docs
	// component then merges it into the design as it is then. Only another
	// patch of the same design arriving in between can make the two differ.
	var t T
	if err := DecodePatch(d.Body, body, P(&t)); err != nil {
		tmf630.WriteError(w, tmf630.NewError(http.StatusBadRequest, err.Error()))
		return
	}
	if d, e = c.command(r, id, docs.Patch{Collection: c.name, ID: id, Body: body}); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	out, e := c.render(d)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	tmf630.WriteJSON(w, http.StatusOK, out)
}

func (c *catalogResource[T, P]) delete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if c.fileEntry(id) != nil {
		c.readOnly(w, id)
		return
	}
	if c.s.Docs == nil {
		tmf630.WriteError(w, c.notFound(id))
		return
	}
	if _, e := c.command(r, id, docs.Delete{Collection: c.name, ID: id}); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// fileEntry returns the catalog file's entry of id, or nil.
func (c *catalogResource[T, P]) fileEntry(id string) *T {
	for i := range c.file {
		if P(&c.file[i]).Base().ID == id {
			return &c.file[i]
		}
	}
	return nil
}

// design reads a client design, or says it does not exist.
func (c *catalogResource[T, P]) design(r *http.Request, id string) (*docs.Doc, *tmf630.Error) {
	var d *docs.Doc
	if c.s.Docs != nil {
		if e := c.s.Query(r.Context(), func() { d = c.s.Docs.Get(c.name, id) }); e != nil {
			return nil, e
		}
	}
	if d == nil {
		return nil, c.notFound(id)
	}
	return d, nil
}

// command hands a change of design id ("" for a new one) to the Docs
// component and returns the design as it now is.
func (c *catalogResource[T, P]) command(r *http.Request, id string, msg any) (*docs.Doc, *tmf630.Error) {
	v, e := c.s.Command(r.Context(), engine.Docs, msg)
	if e != nil {
		return nil, e
	}
	res, ok := v.(docs.Result)
	switch {
	case !ok:
		return nil, tmf630.NewError(http.StatusInternalServerError, fmt.Sprintf("%s: unexpected reply %T", c.name, v))
	case errors.Is(res.Err, docs.ErrNotFound):
		return nil, c.notFound(id)
	case res.Err != nil:
		return nil, tmf630.NewError(http.StatusInternalServerError, res.Err.Error())
	}
	return res.Doc, nil
}

// render is a stored design on the wire: the server-managed attributes
// added to what the client sent.
func (c *catalogResource[T, P]) render(d *docs.Doc) (*T, *tmf630.Error) {
	b, err := json.Marshal(d.Body)
	var t T
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	if err != nil {
		return nil, tmf630.NewError(http.StatusInternalServerError, fmt.Sprintf("%s %s as stored: %v", c.name, d.ID, err))
	}
	base := P(&t).Base()
	base.ID, base.Href, base.LastUpdate = d.ID, tmf630.EntityHref(tmf630.ProductCatalog, c.name, d.ID), c.s.Date(d.Updated)
	if base.Type == "" {
		base.Type = reflect.TypeFor[T]().Name()
	}
	return &t, nil
}

func (c *catalogResource[T, P]) readOnly(w http.ResponseWriter, id string) {
	w.Header().Set("Allow", "GET, HEAD")
	tmf630.WriteError(w, tmf630.NewError(http.StatusMethodNotAllowed, fmt.Sprintf("%s %s comes from the catalog file and is read-only", c.name, id)))
}

func (c *catalogResource[T, P]) notFound(id string) *tmf630.Error {
	return tmf630.NewError(http.StatusNotFound, "no "+c.name+" "+tmf630.Quote(id))
}

// refuseMethod answers a method the resource does not take.
func refuseMethod(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		tmf630.WriteError(w, tmf630.NewError(http.StatusMethodNotAllowed, fmt.Sprintf("%s %s: allowed are %s", r.Method, r.URL.Path, allow)))
	}
}

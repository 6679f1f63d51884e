package tmf639

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/docs"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/rom"
)

// Resources registered through TMF639: equipment the network already has,
// recorded by hand. A client creates one with POST (v4 Resource_Create:
// name required), changes it with PATCH (JSON merge patch) and deletes it;
// the document keeps what the client wrote, and the server gives its id
// and href. The network's own resources are ROM's and refused here (409).

// resourceInput is what a client may write on a resource: decoding a body
// into it checks the types of the v4 attributes (others are kept as
// extensions). Pointers tell an attribute given from one left out.
type resourceInput struct {
	Name                   *string                       `json:"name"`
	Type                   *string                       `json:"@type"`
	BaseType               *string                       `json:"@baseType"`
	SchemaLocation         *string                       `json:"@schemaLocation"`
	Category               *string                       `json:"category"`
	Description            *string                       `json:"description"`
	Value                  *string                       `json:"value"`
	SerialNumber           *string                       `json:"serialNumber"`
	ResourceVersion        *string                       `json:"resourceVersion"`
	StartOperatingDate     *string                       `json:"startOperatingDate"`
	EndOperatingDate       *string                       `json:"endOperatingDate"`
	ResourceStatus         *string                       `json:"resourceStatus"`
	UsageState             *string                       `json:"usageState"`
	AdministrativeState    *string                       `json:"administrativeState"`
	OperationalState       *string                       `json:"operationalState"`
	ResourceCharacteristic []resourceCharacteristicInput `json:"resourceCharacteristic"`
	Place                  *resourceRefInput             `json:"place"`
	RelatedParty           []resourceRefInput            `json:"relatedParty"`
	ResourceSpecification  *resourceRefInput             `json:"resourceSpecification"`
	ResourceRelationship   []map[string]any              `json:"resourceRelationship"`
	Note                   []map[string]any              `json:"note"`
	Attachment             []map[string]any              `json:"attachment"`
}

// resourceCharacteristicInput is a v4 Characteristic: value may be of any JSON
// type.
type resourceCharacteristicInput struct {
	Name      *string `json:"name"`
	ValueType *string `json:"valueType"`
	Value     any     `json:"value"`
}

// resourceRefInput is a v4 reference (RelatedParty, RelatedPlaceRefOrValue,
// ResourceSpecificationRef).
type resourceRefInput struct {
	ID           *string `json:"id"`
	Href         *string `json:"href"`
	Name         *string `json:"name"`
	Role         *string `json:"role"`
	Version      *string `json:"version"`
	Type         *string `json:"@type"`
	ReferredType *string `json:"@referredType"`
}

// The v4 enumerations of a resource's states.
var resourceEnums = map[string][]string{
	"resourceStatus":      {"standby", "alarm", "available", "reserved", "unknown", "suspended"},
	"usageState":          {"idle", "active", "busy"},
	"administrativeState": {"locked", "unlocked", "shutdown"},
	"operationalState":    {"enable", "disable"},
}

// decodeResource checks the body of a new registered resource: a JSON
// object with a name (v4 Resource_Create), its v4 attributes of their
// types and values, and no id or href (the server's). It returns the body
// to store: @type is Resource when the body names none.
func decodeResource(body []byte) ([]byte, *tmf630.Error) {
	raw, e := clientObject(body)
	if e != nil {
		return nil, e
	}
	if e := checkResource(body); e != nil {
		return nil, e
	}
	if t, typed := raw["@type"]; !typed || string(bytes.TrimSpace(t)) == "null" {
		raw["@type"] = json.RawMessage(`"Resource"`)
		b, err := json.Marshal(raw)
		if err != nil {
			return nil, tmf630.NewError(http.StatusInternalServerError, "encoding the resource: "+err.Error())
		}
		return b, nil
	}
	return body, nil
}

// checkPatch checks a merge patch (RFC 7386) of a registered resource
// whose document is current: a JSON object naming neither id nor href,
// that leaves a resource as valid as a new one, with its @type.
func checkPatch(current map[string]any, patch []byte) *tmf630.Error {
	if _, e := clientObject(patch); e != nil {
		return e
	}
	var p map[string]any
	if err := json.Unmarshal(patch, &p); err != nil {
		return tmf630.DecodeError(err)
	}
	delete(current, "id")
	docs.Merge(current, p)
	if _, typed := current["@type"]; !typed {
		return tmf630.NewError(http.StatusBadRequest, "@type: cannot be removed")
	}
	merged, err := json.Marshal(current)
	if err != nil {
		return tmf630.NewError(http.StatusInternalServerError, "encoding the patched resource: "+err.Error())
	}
	return checkResource(merged)
}

// clientObject decodes a body that must be a JSON object naming neither
// id nor href.
func clientObject(body []byte) (map[string]json.RawMessage, *tmf630.Error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) && typ.Field == "" {
			return nil, tmf630.NewError(http.StatusBadRequest, "the body: "+typ.Value+" is not a JSON object")
		}
		return nil, tmf630.DecodeError(err)
	}
	if raw == nil {
		return nil, tmf630.NewError(http.StatusBadRequest, "the body: null is not a JSON object")
	}
	for _, k := range []string{"id", "href"} {
		if _, ok := raw[k]; ok {
			return nil, tmf630.NewError(http.StatusBadRequest, k+": set by the server, not by the client")
		}
	}
	return raw, nil
}

// checkResource checks a resource's body: its name, the types of its v4
// attributes and their values.
func checkResource(body []byte) *tmf630.Error {
	if e := tmf630.ExactNames(body, reflect.TypeFor[resourceInput]()); e != nil {
		return e
	}
	var in resourceInput
	if err := json.Unmarshal(body, &in); err != nil {
		return tmf630.DecodeError(err)
	}
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return tmf630.NewError(http.StatusBadRequest, "name: required (a resource needs a name)")
	}
	return in.check()
}

// check checks the values of the attributes given: enumerations, dates,
// and what every element of a list requires.
func (in *resourceInput) check() *tmf630.Error {
	bad := func(format string, a ...any) *tmf630.Error {
		return tmf630.NewError(http.StatusBadRequest, fmt.Sprintf(format, a...))
	}
	for _, a := range []struct {
		field string
		v     *string
	}{{"resourceStatus", in.ResourceStatus}, {"usageState", in.UsageState},
		{"administrativeState", in.AdministrativeState}, {"operationalState", in.OperationalState}} {
		if a.v != nil && !slices.Contains(resourceEnums[a.field], *a.v) {
			return bad("%s: %q is not one of %s", a.field, *a.v, strings.Join(resourceEnums[a.field], ", "))
		}
	}
	for _, a := range []struct {
		field string
		v     *string
	}{{"startOperatingDate", in.StartOperatingDate}, {"endOperatingDate", in.EndOperatingDate}} {
		if a.v == nil {
			continue
		}
		if _, err := time.Parse(time.RFC3339, *a.v); err != nil {
			return bad("%s: %q is not an RFC 3339 date-time", a.field, *a.v)
		}
	}
	for i, c := range in.ResourceCharacteristic {
		if c.Name == nil || *c.Name == "" {
			return bad("resourceCharacteristic[%d].name: required", i)
		}
		if c.Value == nil {
			return bad("resourceCharacteristic[%d].value: required", i)
		}
	}
	for i, p := range in.RelatedParty {
		if p.ID == nil || *p.ID == "" {
			return bad("relatedParty[%d].id: required", i)
		}
		if p.ReferredType == nil || *p.ReferredType == "" {
			return bad("relatedParty[%d].@referredType: required", i)
		}
	}
	if r := in.Place; r != nil && (r.ID == nil || *r.ID == "") {
		return bad("place.id: required")
	}
	if r := in.ResourceSpecification; r != nil && (r.ID == nil || *r.ID == "") {
		return bad("resourceSpecification.id: required")
	}
	return nil
}

// registerResource creates a registered resource: 201 with it.
func (s *inventory) registerResource(w http.ResponseWriter, r *http.Request) {
	body, e := tmf630.ReadBody(w, r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if body, e = decodeResource(body); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	res, e := s.registered(r, docs.Put{Collection: registeredResources, Prefix: registeredPrefix, Body: body,
		Key: tmf630.KeyOf(r, registeredResources)})
	if e == nil && res.Err != nil && res.Duplicate {
		// The key's resource was deleted since: the key made it, and
		// makes no other (as a hub's listener).
		e = tmf630.NewError(http.StatusConflict, "Idempotency-Key: "+res.Err.Error())
	}
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	v := registeredResource(res.Doc)
	if res.Duplicate {
		tmf630.Replayed(w, v["href"].(string), v) // the first's, as it now is
		return
	}
	tmf630.Created(w, v["href"].(string), v)
}

// patchResource merges a patch into a registered resource.
func (s *inventory) patchResource(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	current, e := s.registeredDoc(r, id)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	body, e := tmf630.ReadBody(w, r)
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if e := checkPatch(current.Body, body); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	d, e := s.changeRegistered(r, docs.Patch{Collection: registeredResources, ID: id, Body: body})
	if e != nil {
		tmf630.WriteError(w, e)
		return
	}
	tmf630.WriteJSON(w, http.StatusOK, registeredResource(d))
}

// deleteResource deletes a registered resource: 204.
func (s *inventory) deleteResource(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, e := s.registeredDoc(r, id); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	if _, e := s.changeRegistered(r, docs.Delete{Collection: registeredResources, ID: id}); e != nil {
		tmf630.WriteError(w, e)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// registeredDoc returns the document of a registered resource: a network
// resource is ROM's (409), an unknown one 404.
func (s *inventory) registeredDoc(r *http.Request, id string) (*docs.Doc, *tmf630.Error) {
	var network bool
	var d *docs.Doc
	if e := s.Node.Query(r.Context(), func() {
		if network = s.ROM.Resources.Get(id) != nil; !network {
			d = s.Docs.Get(registeredResources, id)
		}
	}); e != nil {
		return nil, e
	}
	if !network && d == nil { // ROM's, left memory with its orders?
		_, shelved, e := tmf630.Unshelved(s.Node, rom.ResourceShelfKind, id, rom.ShelvedResource)
		if e != nil {
			return nil, e
		}
		network = shelved
	}
	switch {
	case network:
		return nil, tmf630.NewError(http.StatusConflict, "resource "+id+" is owned by ROM, which allocated it from the network "+
			"through a resource order: it is read only here")
	case d == nil:
		return nil, tmf630.NewError(http.StatusNotFound, "no resource "+id)
	}
	return d, nil
}

// changeRegistered hands a change to the docs component and returns the
// document as it now is.
func (s *inventory) changeRegistered(r *http.Request, msg any) (*docs.Doc, *tmf630.Error) {
	res, e := s.registered(r, msg)
	if e != nil {
		return nil, e
	}
	return res.Doc, nil
}

// registered sends msg to the docs component and gives its answer; a
// Put's whose key was used before (Duplicate) is left to the caller.
func (s *inventory) registered(r *http.Request, msg any) (docs.Result, *tmf630.Error) {
	v, e := s.Node.Command(r.Context(), engine.Docs, msg)
	if e != nil {
		return docs.Result{}, e
	}
	res, ok := v.(docs.Result)
	switch {
	case !ok:
		return res, tmf630.NewError(http.StatusInternalServerError, fmt.Sprintf("the docs component answered %T", v))
	case res.Err != nil && !res.Duplicate && errors.Is(res.Err, docs.ErrNotFound):
		return res, tmf630.NewError(http.StatusNotFound, res.Err.Error())
	case res.Err != nil && !res.Duplicate:
		return res, tmf630.NewError(http.StatusBadRequest, res.Err.Error())
	}
	return res, nil
}

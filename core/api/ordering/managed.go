package ordering

import (
	"encoding/json"
	"net/http"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
)

// NewOrderManaged are the fields of a service or resource order that the
// server sets, beyond tmf630.ServerManaged's: a new order must not carry them.
type NewOrderManaged struct {
	tmf630.ServerManaged
	StartDate json.RawMessage `json:"startDate"`
	Milestone json.RawMessage `json:"milestone"`
}

// Refuse names the first server-managed field sent.
func (m NewOrderManaged) Refuse(entity string) *tmf630.Error {
	if e := m.ServerManaged.Refuse(entity); e != nil {
		return e
	}
	for _, f := range []struct {
		name string
		v    json.RawMessage
	}{{"startDate", m.StartDate}, {"milestone", m.Milestone}} {
		if f.v != nil {
			return tmf630.NewError(http.StatusBadRequest, f.name+": set by the server; a new "+entity+" must not carry it")
		}
	}
	return nil
}

// DecodeNew decodes the body of a new order of entity (serviceOrder,
// resourceOrder) into a T, after refusing any server-managed field it
// carries.
func DecodeNew[T any](body []byte, entity string) (*T, *tmf630.Error) {
	var managed NewOrderManaged
	if e := tmf630.DecodeObject(body, &managed); e != nil {
		return nil, e
	}
	if e := managed.Refuse(entity); e != nil {
		return nil, e
	}
	in := new(T)
	if e := tmf630.DecodeObject(body, in); e != nil {
		return nil, e
	}
	return in, nil
}

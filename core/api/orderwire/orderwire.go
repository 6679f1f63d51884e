// Package orderwire is the wire format of the orders COM, SOM and ROM send
// each other: TMF641 service orders and TMF652 resource orders, their
// order events, converted to and from the internal model (core/tmf) both
// by the APIs that take them and by the links between processes.
package orderwire

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// What the service and resource order conversions share: references,
// places, characteristics and dates read back from the wire.

// wireRef is an internal reference on the wire, as it is.
func wireRef(r tmf.Ref) tmf630.Ref {
	return tmf630.Ref{ID: r.ID, Href: r.Href, Name: r.Name, Role: r.Role, ReferredType: r.Type}
}

// internalRef is the inverse of wireRef.
func internalRef(r tmf630.Ref) tmf.Ref {
	return tmf.Ref{ID: r.ID, Href: r.Href, Name: r.Name, Role: r.Role, Type: r.ReferredType}
}

// parties is the inverse of tmf630.Refs for related parties: a party
// whose kind is not given (@referredType, which v4 requires) is a Party,
// as the wire then shows it.
func parties(rs []tmf630.Ref) []tmf.Ref {
	if len(rs) == 0 {
		return nil
	}
	out := make([]tmf.Ref, len(rs))
	for i, r := range rs {
		out[i] = internalRef(r)
		if out[i].Type == "" {
			out[i].Type = party
		}
	}
	return out
}

// party is the kind of a related party not given one.
const party = "Party"

// internalPlace is the inverse of tmf630.PlaceOf: @referredType is fixed,
// not kept.
func internalPlace(p tmf630.Place) tmf.Place {
	return tmf.Place{ID: p.ID, Name: p.Name, Role: p.Role, Address: p.Address}
}

// internalCharacteristics maps v4 characteristics back; none is nil. A
// value that is not a JSON string is kept as its JSON text (10, true).
func internalCharacteristics(cs []tmf630.Characteristic) tmf.Characteristics {
	if len(cs) == 0 {
		return nil
	}
	out := make(tmf.Characteristics, len(cs))
	for i, c := range cs {
		out[i] = tmf.Characteristic{Name: c.Name, Value: tmf630.CharacteristicValue(c.Value)}
	}
	return out
}

// wireDate is a virtual time on the wire: epoch plus d, UTC, RFC 3339
// with the fraction of a second when there is one (none in whole seconds,
// as tmf630.Node.Date writes), so that it reads back exactly.
func wireDate(epoch time.Time, d time.Duration) string {
	return epoch.Add(d).UTC().Format(time.RFC3339Nano)
}

// internalDate is the inverse of wireDate; "" is 0. The error names the
// field.
func internalDate(epoch time.Time, name, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("%s: %s is not an RFC 3339 date-time", name, strconv.Quote(s))
	}
	return t.Sub(epoch), nil
}

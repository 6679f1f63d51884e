package netbox

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"

	"github.com/ordertwin/ordertwin/core/netbox"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Characteristics the adapter reads and answers with.
const (
	CharPool         = "pool"         // the VLAN group or the IP pool an allocation comes from
	CharVLAN         = "vlanId"       // a VLAN's id
	CharVLANGroup    = "vlanGroup"    // a reserve's own VLAN group
	CharPrefixLength = "prefixLength" // a reserve's own subnet length
)

// vlan reserves, commits or releases a VLAN. A reserve asks its group's
// available-vlans for the first free VLAN, unless a VLAN of the group
// already carries the call's description (the same call, repeated); a
// commit sets the VLAN active, a release deletes it (a VLAN already gone
// is released).
func (a *Adapter) vlan(x *exchange, req *port.Request) (*tmf.Resource, error) {
	name, err := a.groupOf(req)
	if err != nil {
		return nil, err
	}
	g, err := only(x, netbox.VLANGroupsPath, "name", name, "VLAN groups named "+name,
		func(g netbox.VLANGroup) (int, string) { return g.ID, g.Name })
	if err != nil {
		return nil, err
	}
	query := url.Values{"group_id": {strconv.Itoa(g.ID)}}
	if req.Op == port.Reserve {
		desc := a.description(req)
		query.Set("description", desc)
		var found netbox.Page[netbox.VLAN]
		if err := x.get(netbox.VLANsPath, query, &found); err != nil {
			return nil, fmt.Errorf("look for the VLAN of %s in group %s: %w", req.Key, name, err)
		}
		if len(found.Results) > 0 {
			return vlanResource(req, name, found.Results[0])
		}
		var v netbox.VLAN
		body := netbox.NewVLAN{Name: a.Mark(req.Item), Status: netbox.Reserved, Description: desc}
		if err := x.send(http.MethodPost, netbox.AvailableVLANsPath(g.ID), nil, body, &v); err != nil {
			return nil, fmt.Errorf("allocate a VLAN in group %s: %w", name, err)
		}
		return vlanResource(req, name, v)
	}
	vid := req.Resource.Characteristics.Get(CharVLAN)
	n, err := strconv.Atoi(vid)
	if err != nil {
		return nil, &port.Error{Class: port.Invalid, Code: "badRequest", Message: fmt.Sprintf("resource %s has no VLAN id (%s %q)", req.Resource.ID, CharVLAN, vid)}
	}
	query.Set("vid", vid)
	var found netbox.Page[netbox.VLAN]
	if err := x.get(netbox.VLANsPath, query, &found); err != nil {
		return nil, fmt.Errorf("look up VLAN %s in group %s: %w", vid, name, err)
	}
	what := "VLAN " + vid + " of group " + name
	id, err := pick(a.Mark(req.Item), found, what, func(v netbox.VLAN) (int, bool, string) {
		return v.ID, v.VID == n && v.Group != nil && v.Group.ID == g.ID, v.Description
	})
	if err != nil {
		return nil, err
	}
	if id == 0 {
		if x.dry {
			return a.settle(x, req, netbox.VLANsPath+unreserved, 0)
		}
		return a.gone(req, len(found.Results), what)
	}
	return a.settle(x, req, netbox.ObjectPath(netbox.VLANsPath, id), id)
}

// subnet reserves, commits or releases an IPv4 subnet. A reserve asks the
// pool's prefix (the prefix whose description is the pool's name) for the
// first free subnet of the length wanted, unless a prefix within it
// already carries the call's description.
func (a *Adapter) subnet(x *exchange, req *port.Request) (*tmf.Resource, error) {
	if req.Op == port.Reserve {
		pool := req.Characteristics.Get(CharPool)
		if pool == "" {
			return nil, &port.Error{Class: port.Invalid, Code: "badRequest", Message: fmt.Sprintf("a reserve of an IPv4 subnet names its pool (%s)", CharPool)}
		}
		length := a.cfg.PrefixLength
		if v := req.Characteristics.Get(CharPrefixLength); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 32 {
				return nil, &port.Error{Class: port.Invalid, Code: "badRequest", Message: fmt.Sprintf("%s %q is not an IPv4 prefix length", CharPrefixLength, v)}
			}
			length = n
		}
		parent, err := only(x, netbox.PrefixesPath, "description", pool, "prefixes described "+pool,
			func(p netbox.Prefix) (int, string) { return p.ID, p.Description })
		if err != nil {
			return nil, err
		}
		desc := a.description(req)
		var found netbox.Page[netbox.Prefix]
		if err := x.get(netbox.PrefixesPath, url.Values{"within": {parent.Prefix}, "description": {desc}}, &found); err != nil {
			return nil, fmt.Errorf("look for the subnet of %s in %s: %w", req.Key, parent.Prefix, err)
		}
		if len(found.Results) > 0 {
			return subnetResource(req, pool, parent.Prefix, 0, found.Results[0])
		}
		var p netbox.Prefix
		body := netbox.NewPrefix{PrefixLength: length, Status: netbox.Reserved, Description: desc}
		if err := x.send(http.MethodPost, netbox.AvailablePrefixesPath(parent.ID), nil, body, &p); err != nil {
			return nil, fmt.Errorf("allocate a /%d in %s (pool %s): %w", length, parent.Prefix, pool, err)
		}
		return subnetResource(req, pool, parent.Prefix, length, p)
	}
	cidr := req.Resource.Value
	var found netbox.Page[netbox.Prefix]
	if err := x.get(netbox.PrefixesPath, url.Values{"prefix": {cidr}}, &found); err != nil {
		return nil, fmt.Errorf("look up prefix %s: %w", cidr, err)
	}
	asked, aerr := netip.ParsePrefix(cidr)
	id, err := pick(a.Mark(req.Item), found, "prefix "+cidr, func(p netbox.Prefix) (int, bool, string) {
		got, perr := netip.ParsePrefix(p.Prefix)
		return p.ID, aerr == nil && perr == nil && got == asked, p.Description
	})
	if err != nil {
		return nil, err
	}
	if id == 0 {
		if x.dry {
			return a.settle(x, req, netbox.PrefixesPath+unreserved, 0)
		}
		return a.gone(req, len(found.Results), "prefix "+cidr)
	}
	return a.settle(x, req, netbox.ObjectPath(netbox.PrefixesPath, id), id)
}

// only looks up the one object of list whose filter has value: a pool
// (VLAN group, parent prefix) found by its name. None, or more than one,
// fails as hard: NetBox is not set up as the configuration says. The one
// found must be the one asked for, with an id (key reads them): a filter
// NetBox ignored, or an answer not NetBox's, would otherwise allocate from
// another pool, or at /0/.
func only[T any](x *exchange, list, filter, value, what string, key func(T) (id int, v string)) (T, error) {
	var found netbox.Page[T]
	var none T
	if err := x.get(list, url.Values{filter: {value}}, &found); err != nil {
		return none, fmt.Errorf("look up the %s: %w", what, err)
	}
	if len(found.Results) != 1 {
		return none, &port.Error{Class: port.Hard, Code: "notFound", Message: fmt.Sprintf("NetBox has %d %s, not one", found.Count, what)}
	}
	if id, v := key(found.Results[0]); id < 1 || v != value {
		return none, badAnswer(fmt.Sprintf("NetBox answered object %d, %s %q, to the look-up of the %s", id, filter, v, what))
	}
	return found.Results[0], nil
}

// groupOf is the VLAN group a call's VLAN comes from: for a reserve, the
// request's own group, its address's, or the default; for a commit or
// release, the group the reserve answered with.
func (a *Adapter) groupOf(req *port.Request) (string, error) {
	if req.Op != port.Reserve {
		if g := req.Resource.Characteristics.Get(CharPool); g != "" {
			return g, nil
		}
		return "", &port.Error{Class: port.Invalid, Code: "badRequest", Message: fmt.Sprintf("resource %s names no VLAN group (%s)", req.Resource.ID, CharPool)}
	}
	if g := req.Characteristics.Get(CharVLANGroup); g != "" {
		return g, nil
	}
	if g := a.cfg.VLANGroups[req.Place.Address]; g != "" {
		return g, nil
	}
	if a.cfg.VLANGroup != "" {
		return a.cfg.VLANGroup, nil
	}
	return "", &port.Error{Class: port.Invalid, Code: "noVLANGroup", Message: fmt.Sprintf("no VLAN group for %q: configure one for the address or a default", req.Place.Address)}
}

// pick is the id of the object of a commit's or release's look-up (found)
// that is the item's, the one described with its mark (mine), or 0 when
// the list holds none. obj reads an object's id, whether the look-up's
// filter selects it (asked), and its description.
//
// It is what the adapter then PATCHes or DELETEs, and a release that
// finds nothing is done, so an answer is taken only as NetBox gives it
// (found by FuzzCommitReleaseAnswer): an answer with no list ({}, null)
// released as gone; an object the filter does not select (another VLAN
// id, another group, another prefix: a filter ignored, or an answer not
// NetBox's) was written when it carried the item's mark, as another
// reservation of the item does; an object of id 0 or less was written at
// /0/; and a list of more than one page, whose other pages the adapter
// does not read, released as gone.
func pick[T any](mine string, found netbox.Page[T], what string, obj func(T) (id int, asked bool, desc string)) (int, error) {
	if found.Results == nil {
		return 0, badAnswer(fmt.Sprintf("NetBox's answer to the look-up of %s holds no list", what))
	}
	for _, o := range found.Results {
		if id, asked, _ := obj(o); !asked {
			return 0, badAnswer(fmt.Sprintf("NetBox answered object %d to the look-up of %s, which the look-up does not select", id, what))
		}
	}
	for _, o := range found.Results {
		if id, _, desc := obj(o); owned(desc, mine) {
			if id < 1 {
				return 0, badAnswer(fmt.Sprintf("NetBox answered id %d for %s", id, what))
			}
			return id, nil
		}
	}
	if found.Count != len(found.Results) || found.Next != nil {
		return 0, badAnswer(fmt.Sprintf("NetBox answered %d of %d objects for %s on a page: the item's may be on another", len(found.Results), found.Count, what))
	}
	return 0, nil
}

// unreserved stands, in a dry run's path, for the id of the object the
// run's reserve would have made: a dry run posts no reserve, so its
// commit or release finds no object of the item's (or, after a real run,
// another store's) and is rendered as it would be sent to that object.
const unreserved = "{id}/"

// gone settles a commit or release whose object is not the item's: a
// release of something already gone is done; anything else fails, as the
// object is missing or someone else's.
func (a *Adapter) gone(req *port.Request, others int, what string) (*tmf.Resource, error) {
	switch {
	case others > 0:
		return nil, &port.Error{Class: port.Hard, Code: "inUse", Message: fmt.Sprintf("%s is not %s's: it was allocated for another item", what, req.Item)}
	case req.Op == port.Release:
		return nil, nil
	}
	return nil, &port.Error{Class: port.Hard, Code: "notFound", Message: fmt.Sprintf("NetBox holds no %s", what)}
}

// settle commits (status active) or releases (deletes) the object id at
// path. A commit is done when NetBox answers with the object active: any
// 2xx was taken (found by FuzzCommitReleaseAnswer), an empty body, or a
// proxy's sign-in page, and the object stayed reserved.
func (a *Adapter) settle(x *exchange, req *port.Request, path string, id int) (*tmf.Resource, error) {
	if req.Op == port.Commit {
		var o struct {
			ID     int           `json:"id"`
			Status netbox.Choice `json:"status"`
		}
		if err := x.send(http.MethodPatch, path, nil, netbox.StatusPatch{Status: netbox.Active}, &o); err != nil {
			return nil, fmt.Errorf("activate %s: %w", req.Resource.ID, err)
		}
		if o.ID != id || o.Status.Value != netbox.Active {
			return nil, badAnswer(fmt.Sprintf("activate %s: NetBox answered object %d status %q, not %d active", req.Resource.ID, o.ID, o.Status.Value, id))
		}
		return held(req, "available"), nil
	}
	if err := x.send(http.MethodDelete, path, nil, nil, nil); err != nil {
		return nil, fmt.Errorf("release %s: %w", req.Resource.ID, err)
	}
	return held(req, "released"), nil
}

// vlanResource is a reserved VLAN as the twin answers with it. A VLAN
// id NetBox cannot have given (802.1Q's are 1 to 4094; none is 0) is an
// answer garbled, or not NetBox's: reserved, it would be configured on
// the OLT and the BNG as it is.
func vlanResource(req *port.Request, group string, vlan netbox.VLAN) (*tmf.Resource, error) {
	if vlan.VID < 1 || vlan.VID > 4094 {
		return nil, badAnswer(fmt.Sprintf("NetBox answered VLAN id %d for a VLAN of group %s", vlan.VID, group))
	}
	v := strconv.Itoa(vlan.VID)
	return &tmf.Resource{ID: group + "-VLAN-" + v, ResourceType: "VLAN", Value: "VLAN " + v, State: "reserved", Place: req.Place,
		Characteristics: tmf.Characteristics{{Name: CharPool, Value: group}, {Name: CharVLAN, Value: v}}}, nil
}

// subnetResource is a reserved subnet as the twin answers with it. As for
// a VLAN, a subnet NetBox cannot have given is refused: one that is no
// IPv4 subnet within the pool's prefix; allocated (length, the length
// asked for), one of another length; found again (length 0), the pool's
// prefix itself, which a search within it does not find.
func subnetResource(req *port.Request, pool, parent string, length int, prefix netbox.Prefix) (*tmf.Resource, error) {
	cidr := prefix.Prefix
	p, err := netip.ParsePrefix(cidr)
	in, perr := netip.ParsePrefix(parent)
	ok := err == nil && perr == nil && p.Addr().Is4() && p == p.Masked() && in.Contains(p.Addr())
	if length != 0 {
		ok = ok && p.Bits() == length && p.Bits() >= in.Bits()
	} else {
		ok = ok && p.Bits() > in.Bits()
	}
	if !ok {
		return nil, badAnswer(fmt.Sprintf("NetBox answered %q for a subnet of %s (pool %s)", cidr, parent, pool))
	}
	return &tmf.Resource{ID: pool + "-" + cidr, ResourceType: "IPv4Subnet", Value: cidr, State: "reserved", Place: req.Place,
		Characteristics: tmf.Characteristics{{Name: CharPool, Value: pool}}}, nil
}

func badAnswer(msg string) *port.Error {
	return &port.Error{Class: port.Hard, Code: "badAnswer", Message: msg}
}

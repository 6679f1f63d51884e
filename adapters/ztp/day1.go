package ztp

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ordertwin/ordertwin/core/pnp"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
)

// Characteristics the adapter reads from a commit: the router from the
// reserved CPE resource (its model and serial number), the service from
// the commit's own characteristics.
const (
	CharModel   = "model"
	CharSerial  = "serialNumber"
	CharVLAN    = "vlanId"
	CharSubnet  = "ipv4Subnet"
	CharProfile = "bandwidthProfile"
	CharTier    = "slaTier"
)

// Day1Of reads the Day-1 configuration (pnp.Day1) a commit asks for. A
// request that lacks any of it is a *port.Error of class invalid naming
// each thing missing.
func Day1Of(req *port.Request) (pnp.Day1, *port.Error) {
	var errs []string
	need := func(what, v string) string {
		if v == "" {
			errs = append(errs, what)
		}
		return v
	}
	need("the idempotency key", req.Key)
	need("the customer", req.Customer)
	need("the site", req.Site)
	var rc tmf.Characteristics
	if req.Resource == nil {
		errs = append(errs, "the reserved CE router (resource)")
	} else {
		rc = req.Resource.Characteristics
	}
	spec := pnp.Day1Spec{Key: req.Key, Item: req.Item, Customer: req.Customer, Site: req.Site,
		Model: need("the router model ("+CharModel+")", first(rc.Get(CharModel), req.Characteristics.Get(CharModel)))}
	if req.Resource != nil {
		spec.Serial = first(rc.Get(CharSerial), req.Resource.ID)
	}
	need("the router's serial number ("+CharSerial+")", spec.Serial)
	// ROM's typed Config first (docs/adapters.md, "What ROM's requests
	// carry"), else the characteristics.
	cs, c := req.Characteristics, req.Config
	spec.VLAN = cs.Get(CharVLAN)
	if c.VLAN != 0 {
		spec.VLAN = strconv.Itoa(c.VLAN)
	}
	spec.Subnet = first(c.Subnet, cs.Get(CharSubnet))
	spec.Profile = first(c.Profile, cs.Get(CharProfile))
	spec.Tier = first(c.Tier, cs.Get(CharTier))
	d, problems := pnp.NewDay1(spec)
	for _, p := range problems {
		errs = append(errs, withChar(p))
	}
	if len(errs) > 0 {
		return d, &port.Error{Class: port.Invalid, Code: "badRequest",
			Message: fmt.Sprintf("the Day-1 configuration of a CE router for %s needs %s", req.Item, strings.Join(errs, ", "))}
	}
	return d, nil
}

// charOf names the characteristic each of pnp.NewDay1's problems is read
// from, so that a caller knows which to send.
var charOf = map[string]string{
	"a router model the adapter knows": CharModel,
	"the VLAN":                         CharVLAN,
	"the site's subnet":                CharSubnet,
	"the QoS policy":                   CharProfile,
	"the QoS policy's rates":           CharProfile,
	"the SLA tier":                     CharTier,
}

// withChar puts the characteristic's name in a problem: "the VLAN (1 to
// 4094, …)" becomes "the VLAN (vlanId: 1 to 4094, …)".
func withChar(problem string) string {
	what, rest, ok := strings.Cut(problem, " (")
	if name, known := charOf[what]; ok && known {
		return what + " (" + name + ": " + rest
	}
	return problem
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

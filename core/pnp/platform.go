package pnp

import (
	"slices"
	"strings"
)

// Platform is a CE router model as PnP sees it: the product id and
// version id its UDI carries, its WAN port and all its Ethernet ports.
type Platform struct {
	PID, VID string
	WAN      string
	Ports    []string
}

// Platforms are the CE router models the product configures, by the name
// the catalogue gives them (ISR-4431).
var Platforms = map[string]Platform{
	"ISR-4431": {PID: "ISR4431/K9", VID: "V01", WAN: "GigabitEthernet0/0/0",
		Ports: []string{"GigabitEthernet0/0/0", "GigabitEthernet0/0/1", "GigabitEthernet0/0/2", "GigabitEthernet0/0/3"}},
	"ISR-4451": {PID: "ISR4451-X/K9", VID: "V01", WAN: "GigabitEthernet0/0/0",
		Ports: []string{"GigabitEthernet0/0/0", "GigabitEthernet0/0/1", "GigabitEthernet0/0/2", "GigabitEthernet0/0/3"}},
}

// UDIOf is the UDI a router of model with serial calls home with.
func UDIOf(model, serial string) UDI {
	p := Platforms[model]
	return UDI{PID: p.PID, VID: p.VID, SN: serial}
}

// PlatformNames lists the known models, sorted.
func PlatformNames() string {
	names := make([]string, 0, len(Platforms))
	for n := range Platforms {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

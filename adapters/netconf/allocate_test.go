package netconf

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/tmf"
	tnc "github.com/ordertwin/ordertwin/twin/netconf"
)

// serve serves dev over SSH on loopback and returns its endpoint.
func serve(t testing.TB, dev *tnc.Device) Endpoint {
	t.Helper()
	srv, err := tnc.NewServer(dev, "ordertwin", "secret", slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	addr, err := srv.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	return Endpoint{Addr: addr.String(), User: "ordertwin", Password: "secret", HostKey: srv.HostKey()}
}

// ponDevice is an OLT whose listed ports hold an ONT before any order.
func ponDevice(t testing.TB, name string, cards []tnc.Card, inUse ...[2]int) *tnc.Device {
	t.Helper()
	dev, err := tnc.NewDevice(name, cards, tnc.WallClock{})
	require.NoError(t, err)
	for _, p := range inUse {
		e, err := Render(port.Reserve, Service{Item: "in service", OLT: name, Slot: p[0], Port: p[1], ONUID: 1})
		require.NoError(t, err)
		require.NoError(t, dev.Load(e.Config))
	}
	return dev
}

// allocating is an adapter that allocates in area A, Melbourne's, on the
// devices given, the OLTs in the order given.
func allocating(t testing.TB, devices map[string]Endpoint, area Area) *Access {
	t.Helper()
	a, err := New(Config{Devices: devices, Areas: map[string]Area{"A": area}, Addresses: map[string]string{melb.Address: "A"},
		Timeout: 10 * time.Second, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	return a
}

// allocation is a reserve that names no port, as ROM sends it.
func allocation(item, resourceType string, cs ...tmf.Characteristic) *port.Request {
	return &port.Request{Key: item + "/reserve/1", System: port.Access, Op: port.Reserve, Item: item,
		ResourceType: resourceType, Place: melb, Site: "MELB", Characteristics: cs}
}

// A reserve that names no port takes the first PON port with no ONT, by
// line card and port, on the area's first OLT with one, as the twin
// does; a reserve sent again takes its own port again, never a second.
func TestAllocatesTheFirstFreePort(t *testing.T) {
	ctx := context.Background()
	full := ponDevice(t, "OLT-A", []tnc.Card{{Slot: 1, Ports: 2}}, [2]int{1, 1}, [2]int{1, 2})
	olt := ponDevice(t, "OLT-B", []tnc.Card{{Slot: 2, Ports: 4}, {Slot: 1, Ports: 2}}, [2]int{1, 1}, [2]int{1, 2}, [2]int{2, 1})
	a := allocating(t, map[string]Endpoint{"OLT-A": serve(t, full), "OLT-B": serve(t, olt)}, Area{OLTs: []string{"OLT-A", "OLT-B"}})

	first := a.Do(ctx, allocation("ROI-001", "OLTPort", tmf.Characteristic{Name: "oltArea", Value: "A"}))
	require.Nil(t, first.Err)
	assert.Equal(t, "OLT-B-LC2-P2", first.Resource.ID, "OLT-A is full; on OLT-B, LC1 is full and LC2-P1 in use")
	assert.Equal(t, "OLT-B LC2 Port 2", first.Resource.Value)
	assert.Equal(t, "reserved", first.Resource.State)
	assert.Equal(t, "2", first.Resource.Characteristics.Get(CharLineCard))

	second := a.Do(ctx, allocation("ROI-007", "OLTPort"))
	require.Nil(t, second.Err)
	assert.Equal(t, "OLT-B-LC2-P3", second.Resource.ID)

	again := a.Do(ctx, allocation("ROI-001", "OLTPort"))
	require.Nil(t, again.Err, "a reserve sent again")
	assert.Equal(t, first.Resource.ID, again.Resource.ID)
	assert.Equal(t, 1, strings.Count(string(olt.Running()), "<description>ROI-001</description>"), "one ONT for the item")
	assert.Empty(t, full.Edits(), "nothing sent to a full OLT but the read")

	// The commit and release of an allocated port go to its OLT, as any.
	done := a.Do(ctx, commitReq("ROI-001", first.Resource))
	require.Nil(t, done.Err)
	require.Nil(t, a.Do(ctx, releaseReq("ROI-001", done.Resource)).Err)
	reused := a.Do(ctx, allocation("ROI-013", "OLTPort"))
	require.Nil(t, reused.Err)
	assert.Equal(t, "OLT-B-LC2-P2", reused.Resource.ID, "a released port is free again")

	a.Do(ctx, allocation("ROI-019", "OLTPort")) // LC2-P4, the last
	none := a.Do(ctx, allocation("ROI-025", "OLTPort"))
	require.NotNil(t, none.Err)
	assert.Equal(t, port.Exhausted, none.Err.Class, "no port left on any OLT of the area")
	assert.Contains(t, none.Err.Message, "no OLT capacity at serving exchange")
}

// An exchange's P2P handoffs: the first port with no description is
// given to the item, enabled by the commit and cleared by the release; a
// reserve that names a port in use fails as hard and changes nothing.
func TestAllocatesHandoffs(t *testing.T) {
	ctx := context.Background()
	x, err := tnc.NewExchange("EX-1", 3, tnc.WallClock{})
	require.NoError(t, err)
	inUse, err := RenderHandoff(port.Commit, Handoff{Item: "in service", Exchange: "EX-1", Port: 1})
	require.NoError(t, err)
	require.NoError(t, x.Load(inUse.Config))
	a := allocating(t, map[string]Endpoint{"EX-1": serve(t, x)}, Area{Exchange: "EX-1"})

	res := a.Do(ctx, allocation("ROI-007", "P2PHandoff"))
	require.Nil(t, res.Err)
	assert.Equal(t, "EX-1-P2P-2", res.Resource.ID)
	assert.Equal(t, "EX-1 P2P Port 2", res.Resource.Value)
	assert.Equal(t, tmf.Characteristics{{Name: "exchange", Value: "EX-1"}, {Name: "port", Value: "2"}}, res.Resource.Characteristics)

	res = a.Do(ctx, &port.Request{Key: "ROI-007/commit/1", System: port.Access, Op: port.Commit, Item: "ROI-007", Place: melb, Resource: res.Resource})
	require.Nil(t, res.Err)
	assert.Equal(t, "available", res.Resource.State)
	assert.Contains(t, string(x.Running()), "<name>p2p-2</name><type xmlns:ianaift=\"urn:ietf:params:xml:ns:yang:iana-if-type\">ianaift:ethernetCsmacd</type><enabled>true</enabled><description>ROI-007</description>")

	taken := a.Do(ctx, &port.Request{Key: "ROI-013/reserve/1", System: port.Access, Op: port.Reserve, Item: "ROI-013", Place: melb,
		ResourceType: "P2PHandoff", Characteristics: tmf.Characteristics{{Name: "exchange", Value: "EX-1"}, {Name: "port", Value: "2"}}})
	require.NotNil(t, taken.Err)
	assert.Equal(t, port.Hard, taken.Err.Class, "the port named is ROI-007's")
	assert.Contains(t, taken.Err.Message, "in use (ROI-007)")

	require.Nil(t, a.Do(ctx, &port.Request{Key: "ROI-007/release/1", System: port.Access, Op: port.Release, Item: "ROI-007", Place: melb, Resource: res.Resource}).Err)
	assert.NotContains(t, string(x.Running()), "ROI-007")
	assert.Equal(t, "EX-1-P2P-2", a.Do(ctx, allocation("ROI-013", "P2PHandoff")).Resource.ID, "free again")
	assert.Equal(t, "EX-1-P2P-3", a.Do(ctx, allocation("ROI-019", "P2PHandoff")).Resource.ID)
	none := a.Do(ctx, allocation("ROI-025", "P2PHandoff"))
	require.NotNil(t, none.Err)
	assert.Equal(t, port.Exhausted, none.Err.Class)
}

// An allocation for an address the settings do not place, and settings
// that name devices without endpoints, are refused before anything is
// sent.
func TestAllocationRefusesWhatItCannotPlace(t *testing.T) {
	dev := ponDevice(t, "OLT-A", []tnc.Card{{Slot: 1, Ports: 2}})
	ep := serve(t, dev)
	a := allocating(t, map[string]Endpoint{"OLT-A": ep}, Area{OLTs: []string{"OLT-A"}})
	req := allocation("ROI-001", "OLTPort")
	req.Place = tmf.Place{Address: "1 Nowhere Lane"}
	res := a.Do(context.Background(), req)
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Invalid, res.Err.Class)
	assert.Equal(t, "unknownSite", res.Err.Code)
	assert.Contains(t, res.Err.Message, `"1 Nowhere Lane"`)
	assert.Empty(t, dev.Edits())

	_, err := New(Config{Devices: map[string]Endpoint{"OLT-A": ep}, Areas: map[string]Area{"A": {OLTs: []string{"OLT-A", "OLT-Z"}}}})
	assert.ErrorContains(t, err, "area A names OLT-Z, which has no endpoint")
	_, err = New(Config{Devices: map[string]Endpoint{"OLT-A": ep}, Areas: map[string]Area{"A": {OLTs: []string{"OLT-A"}}},
		Addresses: map[string]string{"1 Main St": "B"}})
	assert.ErrorContains(t, err, `address "1 Main St" is in area B, which is not among the areas`)
}

// A device the settings place ports on that has none of the kind the
// adapter takes (an exchange's switch named as an OLT, or an OLT that
// names its PON interfaces otherwise) is not a full one: the reserve
// fails as invalid, naming the interfaces the device has, and is logged,
// so that nobody goes looking for capacity. A full area is logged too.
func TestAllocationNamesADeviceWithoutPorts(t *testing.T) {
	ctx := context.Background()
	sw, err := tnc.NewExchange("OLT-A", 3, tnc.WallClock{})
	require.NoError(t, err)
	var logged strings.Builder
	a, err := New(Config{Devices: map[string]Endpoint{"OLT-A": serve(t, sw)}, Areas: map[string]Area{"A": {OLTs: []string{"OLT-A"}, Exchange: "OLT-A"}},
		Addresses: map[string]string{melb.Address: "A"}, Timeout: 10 * time.Second, Log: slog.New(slog.NewTextHandler(&logged, nil))})
	require.NoError(t, err)

	res := a.Do(ctx, allocation("ROI-001", "OLTPort"))
	require.NotNil(t, res.Err)
	assert.Equal(t, port.Invalid, res.Err.Class, res.Err.Message)
	assert.Equal(t, "noPorts", res.Err.Code)
	assert.Equal(t, `OLT-A has no TR-385 PON interfaces (channel pairs cpair-LC<slot>-P<port>): its 3 interfaces are named "p2p-1", "p2p-2", "p2p-3"`, res.Err.Message)
	assert.NotContains(t, res.Err.Message, "capacity")
	assert.Contains(t, logged.String(), "noPorts")
	assert.Contains(t, logged.String(), "class=invalid")
	assert.Empty(t, sw.Edits())

	olt := ponDevice(t, "OLT-B", []tnc.Card{{Slot: 1, Ports: 1}})
	b, err := New(Config{Devices: map[string]Endpoint{"OLT-B": serve(t, olt)}, Areas: map[string]Area{"A": {OLTs: []string{"OLT-B"}, Exchange: "OLT-B"}},
		Addresses: map[string]string{melb.Address: "A"}, Timeout: 10 * time.Second, Log: slog.New(slog.NewTextHandler(&logged, nil))})
	require.NoError(t, err)
	none := b.Do(ctx, allocation("ROI-007", "P2PHandoff"))
	require.NotNil(t, none.Err)
	assert.Equal(t, port.Invalid, none.Err.Class, "an OLT named as the exchange")
	assert.Contains(t, none.Err.Message, `OLT-B has no P2P handoff interfaces (p2p-<n>): its `)
	assert.Contains(t, none.Err.Message, `"cpair-LC1-P1"`)

	require.Nil(t, b.Do(ctx, allocation("ROI-013", "OLTPort")).Err)
	logged.Reset()
	full := b.Do(ctx, allocation("ROI-019", "OLTPort"))
	require.NotNil(t, full.Err)
	assert.Equal(t, port.Exhausted, full.Err.Class)
	assert.Contains(t, logged.String(), "NETCONF allocation found no free port")
	assert.Contains(t, logged.String(), "OLT-B")
}

// The docs' example adapters file (docs/examples/adapters.yaml) places
// the worked example's pilot site: with its access entry's areas and
// addresses the adapter picks the pilot's PON port itself, where without
// them every reserve of the worked example failed as invalid (it names no
// port), even in a dry run.
func TestExampleAdaptersFilePlacesThePilot(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "examples", "adapters.yaml"))
	require.NoError(t, err)
	var file struct {
		Systems map[string]struct {
			Settings struct {
				Areas map[string]struct {
					OLTs     []string `yaml:"olts"`
					Exchange string   `yaml:"exchange"`
				} `yaml:"areas"`
				Addresses map[string]string `yaml:"addresses"`
			} `yaml:"settings"`
		} `yaml:"systems"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &file))
	set := file.Systems["access"].Settings
	areas := map[string]Area{}
	for name, a := range set.Areas {
		areas[name] = Area{OLTs: a.OLTs, Exchange: a.Exchange}
	}
	olt := ponDevice(t, "OLT-SOUTH-03", []tnc.Card{{Slot: 2, Ports: 16}})
	a, err := New(Config{Devices: map[string]Endpoint{"OLT-SOUTH-03": serve(t, olt)}, Areas: areas, Addresses: set.Addresses,
		Timeout: 10 * time.Second, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	res := a.Do(context.Background(), allocation("ROI-001", "OLTPort"))
	require.Nil(t, res.Err)
	assert.Equal(t, "OLT-SOUTH-03-LC2-P1", res.Resource.ID)
}

// A port is taken by the name the edit gives it: of an OLT that writes
// cpair-LC01-P1, or an exchange with both p2p-07 (free) and p2p-7 (another
// item's), the edit for LC1-P1 or p2p-7 would configure another interface
// than the one read free. Only names the edit writes the same are ports
// (found by FuzzInterfacesReply).
func TestAllocatesOnlyPortsNamedAsTheEditNamesThem(t *testing.T) {
	a := allocating(t, map[string]Endpoint{"OLT-1": never(t), "EX-1": never(t)}, Area{OLTs: []string{"OLT-1"}, Exchange: "EX-1"})
	ifs := func(names ...string) []byte {
		b := `<data><interfaces xmlns="` + ifNS + `">`
		for _, n := range names {
			name, desc, _ := strings.Cut(n, "=")
			b += "<interface><name>" + name + "</name><description>" + desc + "</description></interface>"
		}
		return []byte(b + "</interfaces></data>")
	}
	ctx := context.Background()

	e, err := a.pickPON(ctx, parrotSession(t, ifs("cpair-LC01-P1", "cpair-LC99999999999999999999-P1", "cpair-LC1-P2")), allocation("ROI-1", "OLTPort"), "OLT-1")
	require.NoError(t, err)
	assert.Equal(t, "cpair-LC1-P2", e.Service.ChannelPair())

	e, err = a.pickHandoff(ctx, parrotSession(t, ifs("p2p-07", "p2p-7=ROI-9", "p2p-8")), allocation("ROI-1", "P2PHandoff"), "EX-1")
	require.NoError(t, err)
	assert.Equal(t, "p2p-8", e.Handoff.Interface(), "not p2p-7, which is ROI-9's")

	_, err = a.pickHandoff(ctx, parrotSession(t, ifs("p2p-007")), allocation("ROI-1", "P2PHandoff"), "EX-1")
	assert.Equal(t, "noPorts", Classify(err).Code, "an exchange whose ports are all named otherwise has none the adapter takes")
}

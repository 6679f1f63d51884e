package netbox

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/netbox"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/core/watchdog"
)

// FuzzReserveAnswer: whatever NetBox answers to one request of a reserve
// (the others answered as NetBox does), the call ends within bounds,
// never panics, and either fails with one of the failure policy's classes
// or reserves what NetBox can have allocated: a VLAN id of 1 to 4094, an
// IPv4 subnet within the pool's prefix, a /29 when allocated.
func FuzzReserveAnswer(f *testing.F) {
	for step, a := range vlanReserveAnswers() {
		f.Add(false, uint8(step), uint16(a.status), a.body)
	}
	for step, a := range subnetReserveAnswers() {
		f.Add(true, uint8(step), uint16(a.status), a.body)
	}
	f.Add(false, uint8(1), uint16(200), []byte(`{"count":1,"results":[{"id":9,"vid":102,"description":"ROI-1 ROI-1/reserve/1"}]}`))
	f.Add(true, uint8(1), uint16(200), []byte(`{"count":1,"results":[{"id":9,"prefix":"10.20.0.16/29"}]}`))
	f.Add(false, uint8(2), uint16(201), []byte(`{}`))
	f.Add(false, uint8(2), uint16(201), []byte(`{"vid":5000}`))
	f.Add(true, uint8(2), uint16(201), []byte(`{"prefix":"2001:db8::/64"}`))
	f.Add(true, uint8(2), uint16(201), []byte(`{"prefix":"10.99.0.0/29"}`))
	f.Add(false, uint8(2), uint16(409), []byte(`{"detail":"No available VLANs"}`))
	f.Add(false, uint8(0), uint16(200), []byte(`{"count":2,"results":[{"id":1},{"id":2}]}`))
	f.Add(false, uint8(0), uint16(200), []byte(`[`))
	f.Add(false, uint8(0), uint16(500), []byte(`<html>`))
	f.Fuzz(func(t *testing.T, subnet bool, step uint8, status uint16, body []byte) {
		defer watchdog.Arm(2 * time.Second)()
		answers, req := vlanReserveAnswers(), reserve("ROI-1", "VLAN")
		if subnet {
			answers, req = subnetReserveAnswers(), reserve("ROI-1", "IPv4Subnet")
		}
		if status < 100 || status > 999 {
			status = 200 // net/http's client refuses no status of three digits
		}
		answers[int(step)%len(answers)] = answer{int(status), body}
		res := scripted(t, answers).Do(context.Background(), req)
		if res.Err != nil {
			assert.Nil(t, res.Resource)
			assert.Contains(t, []port.ErrorClass{port.Transient, port.Exhausted, port.Invalid, port.Hard}, res.Err.Class, "%v", res.Err)
			assert.NotEmpty(t, res.Err.Code)
			return
		}
		require.NotNil(t, res.Resource)
		if subnet {
			p, err := netip.ParsePrefix(res.Resource.Value)
			require.NoError(t, err, "a subnet reserved is a prefix: %q", res.Resource.Value)
			assert.True(t, p.Addr().Is4() && p == p.Masked(), "an IPv4 subnet: %s", p)
			assert.True(t, netip.MustParsePrefix("10.20.0.0/24").Contains(p.Addr()) && p.Bits() > 24, "within the pool's prefix: %s", p)
			if int(step)%len(answers) == 2 {
				assert.Equal(t, 29, p.Bits(), "allocated as asked: %s", p)
			}
			return
		}
		vid, err := strconv.Atoi(res.Resource.Characteristics.Get(CharVLAN))
		require.NoError(t, err)
		assert.True(t, vid >= 1 && vid <= 4094, "a VLAN id: %d", vid)
		assert.Equal(t, "VLAN "+strconv.Itoa(vid), res.Resource.Value)
		assert.True(t, strings.HasPrefix(res.Resource.ID, "MEL-ENT-VLAN-"), res.Resource.ID)
	})
}

// FuzzCommitReleaseAnswer: whatever NetBox answers to one request of a
// commit or a release (the others answered as NetBox does), the call ends
// within bounds, never panics, and writes (PATCH, DELETE) at most one
// object: one the look-up answered as the item's, in the group and of the
// VLAN id or prefix asked for, with an id NetBox can have given. It
// succeeds only when NetBox said it did: a commit when the object reads
// back active, a release with no write only when the look-up is an empty
// list; with NetBox's own answers it does. Otherwise it fails with one of
// the failure policy's classes.
func FuzzCommitReleaseAnswer(f *testing.F) {
	for _, subnet := range []bool{false, true} {
		for _, release := range []bool{false, true} {
			for step, a := range settleAnswers(subnet, release) {
				f.Add(subnet, release, uint8(step), uint16(a.status), a.body)
			}
		}
	}
	for _, release := range []bool{false, true} {
		f.Add(false, release, uint8(1), uint16(200), []byte(`{"count":0,"next":null,"previous":null,"results":[]}`))
		f.Add(false, release, uint8(1), uint16(200), []byte(`{}`))
		f.Add(false, release, uint8(1), uint16(200), []byte(`null`))
		f.Add(false, release, uint8(1), uint16(200), []byte(`{"count":3,"next":"http://elsewhere.invalid/api/ipam/vlans/?offset=50","results":[]}`))
		f.Add(false, release, uint8(1), uint16(200), []byte(`{"count":1,"results":[{"id":18,"vid":102,"group":{"id":3},"description":"ROI-1 ROI-1/reserve/2"}]}`))
		f.Add(false, release, uint8(1), uint16(200), []byte(`{"count":1,"results":[{"id":18,"vid":101,"group":{"id":4},"description":"ROI-1 ROI-1/reserve/1"}]}`))
		f.Add(false, release, uint8(1), uint16(200), []byte(`{"count":2,"results":[{"id":9,"vid":101,"group":{"id":3},"description":"ROI-10 ROI-10/reserve/1"},{"id":17,"vid":101,"group":{"id":3},"description":"ROI-1 ROI-1/reserve/1"}]}`))
		f.Add(false, release, uint8(1), uint16(200), []byte(`{"count":1,"results":[{"vid":101,"group":{"id":3},"description":"ROI-1 ROI-1/reserve/1"}]}`))
		f.Add(false, release, uint8(1), uint16(200), []byte(`{"count":1,"results":[{"id":"17","vid":101,"group":{"id":3},"description":"ROI-1 ROI-1/reserve/1"}]}`))
		f.Add(false, release, uint8(1), uint16(200), []byte(`{"count":1,"results":[{"id":-17,"vid":101,"group":{"id":3},"description":"ROI-1 ROI-1/reserve/1"}]}`))
		f.Add(false, release, uint8(1), uint16(200), []byte(`{"count":99999999999,"results":[{"id":17,"vid":101,"group":{"id":3},"description":"ROI-1 ROI-1/reserve/1"}]}`))
		f.Add(false, release, uint8(0), uint16(200), []byte(`{"count":1,"results":[{"id":4,"name":"SYD-ENT"}]}`))
		f.Add(false, release, uint8(0), uint16(200), []byte(`{"count":2,"results":[{"id":3},{"id":4}]}`))
		f.Add(true, release, uint8(0), uint16(200), []byte(`{"count":1,"results":[{"id":24,"prefix":"10.20.0.16/29","description":"ROI-1 ROI-1/reserve/2"}]}`))
		f.Add(true, release, uint8(0), uint16(200), []byte(`{"count":1,"results":[{"id":23,"prefix":"10.20.0.8/29","description":"ROI-12 ROI-12/reserve/1"}]}`))
		f.Add(true, release, uint8(0), uint16(200), []byte(`{"results":null}`))
		f.Add(true, release, uint8(0), uint16(200), []byte(`<html><body>Sign in</body></html>`))
		f.Add(true, release, uint8(1), uint16(200), []byte(`<html><body>Sign in</body></html>`))
		f.Add(true, release, uint8(1), uint16(404), []byte(`{"detail":"Not found."}`))
		f.Add(false, release, uint8(2), uint16(409), []byte(`{"detail":"busy"}`))
	}
	f.Add(false, false, uint8(2), uint16(200), []byte(`{}`))
	f.Add(false, false, uint8(2), uint16(200), []byte(`{"id":17,"status":{"value":"reserved"}}`))
	f.Add(true, false, uint8(1), uint16(204), []byte(``))
	f.Fuzz(func(t *testing.T, subnet, release bool, step uint8, status uint16, body []byte) {
		defer watchdog.Arm(2 * time.Second)()
		answers := settleAnswers(subnet, release)
		if status < 100 || status > 999 {
			status = 200 // net/http's client refuses no status of three digits
		}
		step %= uint8(len(answers))
		asGiven := answers[step].status == int(status) && bytes.Equal(answers[step].body, body)
		answers[step] = answer{int(status), body}
		req := settleRequest(subnet, release)
		a, nb := heard(t, answers)
		res := a.Do(context.Background(), req)

		var writes []sent
		for _, s := range nb.sent {
			if s.method != http.MethodGet {
				writes = append(writes, s)
			}
		}
		require.LessOrEqual(t, len(writes), 1, "one object written at most: %v", nb.sent)
		if len(writes) == 1 {
			w := writes[0]
			want, list := http.MethodPatch, netbox.VLANsPath
			if release {
				want = http.MethodDelete
			}
			if subnet {
				list = netbox.PrefixesPath
			}
			assert.Equal(t, want, w.method)
			assert.Contains(t, theItems(subnet, answers), w.uri, "the object written is one the look-up answered as the item's")
			assert.True(t, strings.HasPrefix(w.uri, list), w.uri)
			if !release {
				assert.JSONEq(t, `{"status":"active"}`, w.body)
			}
		}
		if asGiven { // NetBox's answers, all of them
			require.Nil(t, res.Err)
			require.Len(t, writes, 1)
			assert.Contains(t, []string{"/api/ipam/vlans/17/", "/api/ipam/prefixes/23/"}, writes[0].uri)
		}
		if asGiven { // NetBox's answers, all of them
			require.Nil(t, res.Err)
			require.Len(t, writes, 1)
			assert.Contains(t, []string{"/api/ipam/vlans/17/", "/api/ipam/prefixes/23/"}, writes[0].uri)
		}
		if res.Err != nil {
			assert.Nil(t, res.Resource)
			assert.Contains(t, []port.ErrorClass{port.Transient, port.Exhausted, port.Invalid, port.Hard}, res.Err.Class, "%v", res.Err)
			assert.NotEmpty(t, res.Err.Code)
			return
		}
		if release {
			assert.Nil(t, res.Resource)
			if len(writes) == 0 {
				look := answers[len(answers)-2]
				var p netbox.Page[json.RawMessage]
				require.NoError(t, json.Unmarshal(look.body, &p), "released as gone on an answer that is no list: %q", look.body)
				assert.True(t, look.status/100 == 2 && p.Results != nil && len(p.Results) == 0 && p.Count == 0 && p.Next == nil,
					"released as gone on a list that is not empty: %d %q", look.status, look.body)
			}
			return
		}
		require.Len(t, writes, 1, "a commit writes")
		patched := answers[len(answers)-1]
		var o struct {
			ID     int           `json:"id"`
			Status netbox.Choice `json:"status"`
		}
		require.NoError(t, json.Unmarshal(patched.body, &o), "committed on an answer that does not read: %q", patched.body)
		assert.Equal(t, netbox.Active, o.Status.Value, "committed on an answer that is not the object active: %q", patched.body)
		assert.True(t, strings.HasSuffix(writes[0].uri, "/"+strconv.Itoa(o.ID)+"/"), "committed on an answer of another object: %q", patched.body)
		require.NotNil(t, res.Resource)
		assert.Equal(t, req.Resource.ID, res.Resource.ID)
		assert.Equal(t, "available", res.Resource.State)
	})
}

// theItems is the paths of the objects the look-up (as answered) gives as
// the item's: in the group the group look-up answered, of VLAN id 101 or
// prefix 10.20.0.8/29, described as ROI-1's, with an id NetBox can have
// given (1 or more).
func theItems(subnet bool, answers []answer) []string {
	var paths []string
	mine := func(desc string) bool { return desc == "ROI-1" || strings.HasPrefix(desc, "ROI-1 ") }
	if subnet {
		var p netbox.Page[netbox.Prefix]
		if json.Unmarshal(answers[0].body, &p) != nil || answers[0].status/100 != 2 {
			return nil
		}
		for _, o := range p.Results {
			if o.ID >= 1 && o.Prefix == "10.20.0.8/29" && mine(o.Description) {
				paths = append(paths, netbox.ObjectPath(netbox.PrefixesPath, o.ID))
			}
		}
		return paths
	}
	var g netbox.Page[netbox.VLANGroup]
	var p netbox.Page[netbox.VLAN]
	if json.Unmarshal(answers[0].body, &g) != nil || len(g.Results) != 1 || json.Unmarshal(answers[1].body, &p) != nil || answers[1].status/100 != 2 {
		return nil
	}
	for _, o := range p.Results {
		if o.ID >= 1 && o.VID == 101 && o.Group != nil && o.Group.ID == g.Results[0].ID && mine(o.Description) {
			paths = append(paths, netbox.ObjectPath(netbox.VLANsPath, o.ID))
		}
	}
	return paths
}

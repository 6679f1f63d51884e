// Package netbox is the twin's NetBox front-end: the subset of NetBox's
// REST API (its IPAM application) that the VLAN and IPAM adapter uses,
// served over HTTP on the twin's own VLAN and IP pools. A VLAN pool of the
// twin is a VLAN group (named after the pool), an IP pool a prefix (its
// description the pool's name); VLANs and child prefixes are allocated by
// the twin's own allocator (twin.Take), so a client gets exactly what the
// in-process twin would answer, and given back by it (twin.Give). Faults
// are injected as data (Inject).
package netbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ordertwin/ordertwin/core/netbox"
	"github.com/ordertwin/ordertwin/core/port"
	"github.com/ordertwin/ordertwin/twin"
)

// PageSize is how many objects a list answers with when the client names
// no limit (NetBox's default).
const PageSize = 50

// Server serves one twin's pools as NetBox does. It is the twin's only
// driver while it serves: it takes the twin's allocations under its own
// lock.
type Server struct {
	twin  *twin.Twin
	token string
	log   *slog.Logger

	mu       sync.Mutex
	groups   []*group
	vlans    []*vlan
	prefixes []*prefix
	nextID   map[string]int // by list path
	faults   []*Fault
	received []port.Sent
}

// group is a VLAN group: one VLAN pool of the twin.
type group struct {
	id     int
	pool   string
	kind   string
	lo, hi int
}

type vlan struct {
	id          int
	group       *group
	vid         int
	name        string
	status      string
	description string
	held        string // the twin's resource id
}

type prefix struct {
	id          int
	cidr        string
	status      string
	description string
	// pool is the twin's IP pool a parent prefix stands for, and size the
	// length of its subnets; empty for an allocated child.
	pool string
	size int
	held string // a child's resource id in the twin
}

// New serves t's pools; clients authenticate with token.
func New(t *twin.Twin, token string, log *slog.Logger) (*Server, error) {
	if token == "" {
		return nil, errors.New("NetBox front-end: no API token")
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Server{twin: t, token: token, log: log, nextID: map[string]int{}}
	n := t.Network()
	for _, p := range n.VLANPools {
		lo, hi, ok := vidRange(p.Range)
		if !ok {
			return nil, fmt.Errorf("NetBox front-end: VLAN pool %s: bad range %q", p.ID, p.Range)
		}
		s.groups = append(s.groups, &group{id: s.newID(netbox.VLANGroupsPath), pool: p.ID, kind: p.Kind, lo: lo, hi: hi})
	}
	for _, p := range n.IPPools {
		pfx, err := netip.ParsePrefix(p.Prefix)
		if err != nil {
			return nil, fmt.Errorf("NetBox front-end: IP pool %s: %w", p.ID, err)
		}
		s.prefixes = append(s.prefixes, &prefix{id: s.newID(netbox.PrefixesPath), cidr: pfx.Masked().String(),
			status: "container", description: p.ID, pool: p.ID, size: p.Size})
	}
	return s, nil
}

// VLANGroups maps each address of n's address book to the VLAN group its
// VLANs come from (its serving area's VLAN pool): what the adapter's
// configuration needs to ask this front-end as the in-process twin picks.
func VLANGroups(n *twin.Network) map[string]string {
	pools := map[string]string{}
	for _, a := range n.ServingAreas {
		pools[a.ID] = a.VLANPool
	}
	groups := make(map[string]string, len(n.Addresses))
	for _, a := range n.Addresses {
		groups[a.Address] = pools[a.Area]
	}
	return groups
}

func vidRange(s string) (lo, hi int, ok bool) {
	a, b, found := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	return lo, hi, found && err1 == nil && err2 == nil
}

// object is a group, VLAN or prefix: something with an id.
type object interface{ ident() int }

func (g *group) ident() int  { return g.id }
func (v *vlan) ident() int   { return v.id }
func (p *prefix) ident() int { return p.id }

// index is the index of object id in list, or -1.
func index[T object](list []T, id int) int {
	return slices.IndexFunc(list, func(o T) bool { return o.ident() == id })
}

// found is index, answering 404 for -1.
func found[T object](w http.ResponseWriter, list []T, id int) int {
	i := index(list, id)
	if i < 0 {
		detail(w, http.StatusNotFound, "Not found.")
	}
	return i
}

func (s *Server) newID(list string) int {
	s.nextID[list]++
	return s.nextID[list]
}

// Serve answers on l until ctx ends, then closes l and waits for the
// requests in flight (a second's grace).
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		if srv.Shutdown(c) != nil {
			_ = srv.Close()
		}
	}()
	err := srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		<-done
		return nil
	}
	return fmt.Errorf("NetBox front-end: %w", err)
}

// Kept is how many of the latest requests Received lists at least: a
// server that runs for long forgets the older ones.
const Kept = 10000

// Received lists the requests received, in order (the latest Kept at
// least), as the adapter's dry run renders them: To is the base URL, Op
// the method and the request URI, Body the body.
func (s *Server) Received() []port.Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.received)
}

// Handler is the API as an http.Handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+netbox.VLANGroupsPath+"{$}", s.listGroups)
	mux.HandleFunc("POST "+netbox.VLANGroupsPath+"{id}/available-vlans/{$}", s.allocateVLAN)
	mux.HandleFunc("GET "+netbox.VLANsPath+"{$}", s.listVLANs)
	mux.HandleFunc("PATCH "+netbox.VLANsPath+"{id}/{$}", s.patchVLAN)
	mux.HandleFunc("DELETE "+netbox.VLANsPath+"{id}/{$}", s.deleteVLAN)
	mux.HandleFunc("GET "+netbox.PrefixesPath+"{$}", s.listPrefixes)
	mux.HandleFunc("POST "+netbox.PrefixesPath+"{id}/available-prefixes/{$}", s.allocatePrefix)
	mux.HandleFunc("PATCH "+netbox.PrefixesPath+"{id}/{$}", s.patchPrefix)
	mux.HandleFunc("DELETE "+netbox.PrefixesPath+"{id}/{$}", s.deletePrefix)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		detail(w, http.StatusNotFound, "Not found.")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			detail(w, http.StatusBadRequest, "Unreadable body.")
			return
		}
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		op := r.Method + " " + r.URL.RequestURI()
		s.mu.Lock()
		if len(s.received) == 2*Kept {
			s.received = append(s.received[:0], s.received[Kept:]...)
		}
		s.received = append(s.received, port.Sent{Protocol: "http", To: base(r), Op: op, Body: string(body)})
		s.mu.Unlock()
		token, ok := netbox.TokenOf(r.Header.Get(netbox.AuthHeader))
		switch {
		case !ok:
			detail(w, http.StatusForbidden, "Authentication credentials were not provided.")
			return
		case token != s.token:
			detail(w, http.StatusForbidden, "Invalid token")
			return
		}
		s.mu.Lock()
		f := s.firing(op)
		s.mu.Unlock()
		if f != nil {
			s.log.Info("NetBox front-end: fault", "op", op, "status", f.Status)
			if f.Hold != nil {
				select {
				case <-f.Hold:
				case <-r.Context().Done():
					return
				}
			}
			if f.Status != 0 {
				detail(w, f.Status, f.Detail)
				return
			}
		}
		if !strings.HasPrefix(r.URL.Path, "/") { // "*", which the mux answers with no body
			detail(w, http.StatusNotFound, "Not found.")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// base is the URL objects' urls start with.
func base(r *http.Request) string { return "http://" + r.Host }

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(netbox.Body(v))
}

func detail(w http.ResponseWriter, status int, msg string) {
	reply(w, status, netbox.Detail{Detail: msg})
}

// fieldError answers 400 with NetBox's body for a bad field.
func fieldError(w http.ResponseWriter, field, msg string) {
	reply(w, http.StatusBadRequest, map[string][]string{field: {msg}})
}

// pathID reads the {id} of the path; false if it answered 404.
func pathID(w http.ResponseWriter, r *http.Request) (int, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		detail(w, http.StatusNotFound, "Not found.")
		return 0, false
	}
	return id, true
}

// filters are a list's query: the filters it knows, by name, and the page.
type filters struct {
	q      url.Values
	limit  int
	offset int
}

// parseFilters reads a list's query; ints names the filters that must be
// whole numbers. False if it answered 400.
func parseFilters(w http.ResponseWriter, r *http.Request, ints ...string) (filters, bool) {
	f := filters{q: r.URL.Query(), limit: PageSize}
	for _, name := range append([]string{"limit", "offset"}, ints...) {
		v := f.q.Get(name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			fieldError(w, name, "Enter a whole number.")
			return f, false
		}
		switch name {
		case "limit":
			if n > 0 {
				f.limit = n
			}
		case "offset":
			f.offset = n
		}
	}
	return f, true
}

// match says whether a filter given in f (if any) has the value v.
func (f filters) match(name, v string) bool {
	want, ok := f.q[name]
	return !ok || slices.Contains(want, v)
}

// page answers one page of all.
func page[T any](w http.ResponseWriter, r *http.Request, f filters, all []T) {
	p := netbox.Page[T]{Count: len(all), Results: []T{}}
	if f.offset < len(all) {
		p.Results = all[f.offset:min(len(all), f.offset+f.limit)]
	}
	link := func(offset int) *string {
		q := r.URL.Query()
		q.Set("limit", strconv.Itoa(f.limit))
		q.Set("offset", strconv.Itoa(offset))
		u := base(r) + r.URL.Path + "?" + q.Encode()
		return &u
	}
	if f.offset+f.limit < len(all) {
		p.Next = link(f.offset + f.limit)
	}
	if f.offset > 0 {
		p.Previous = link(max(0, f.offset-f.limit))
	}
	reply(w, http.StatusOK, p)
}

func (s *Server) groupJSON(r *http.Request, g *group) netbox.VLANGroup {
	return netbox.VLANGroup{ID: g.id, URL: base(r) + netbox.ObjectPath(netbox.VLANGroupsPath, g.id), Display: g.pool,
		Name: g.pool, Slug: strings.ToLower(g.pool), VIDRanges: [][2]int{{g.lo, g.hi}}, Description: g.kind, Tags: []netbox.Tag{}}
}

func (s *Server) vlanJSON(r *http.Request, v *vlan) netbox.VLAN {
	g := v.group
	return netbox.VLAN{ID: v.id, URL: base(r) + netbox.ObjectPath(netbox.VLANsPath, v.id),
		Display: fmt.Sprintf("%s (%d)", v.name, v.vid), VID: v.vid, Name: v.name,
		Group: &netbox.Nested{ID: g.id, URL: base(r) + netbox.ObjectPath(netbox.VLANGroupsPath, g.id), Display: g.pool,
			Name: g.pool, Slug: strings.ToLower(g.pool)},
		Status: netbox.Choice{Value: v.status, Label: netbox.StatusLabel(v.status)}, Description: v.description, Tags: []netbox.Tag{}}
}

func (s *Server) prefixJSON(r *http.Request, p *prefix) netbox.Prefix {
	return netbox.Prefix{ID: p.id, URL: base(r) + netbox.ObjectPath(netbox.PrefixesPath, p.id), Display: p.cidr,
		Family: netbox.Family{Value: 4, Label: "IPv4"}, Prefix: p.cidr,
		Status: netbox.Choice{Value: p.status, Label: netbox.StatusLabel(p.status)}, Description: p.description, Tags: []netbox.Tag{}}
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	f, ok := parseFilters(w, r, "id")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []netbox.VLANGroup
	for _, g := range s.groups {
		if f.match("id", strconv.Itoa(g.id)) && f.match("name", g.pool) && f.match("slug", strings.ToLower(g.pool)) {
			all = append(all, s.groupJSON(r, g))
		}
	}
	page(w, r, f, all)
}

func (s *Server) listVLANs(w http.ResponseWriter, r *http.Request) {
	f, ok := parseFilters(w, r, "group_id", "vid", "id")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []netbox.VLAN
	for _, v := range s.vlans {
		if f.match("id", strconv.Itoa(v.id)) && f.match("group_id", strconv.Itoa(v.group.id)) && f.match("vid", strconv.Itoa(v.vid)) &&
			f.match("name", v.name) && f.match("description", v.description) && f.match("status", v.status) {
			all = append(all, s.vlanJSON(r, v))
		}
	}
	page(w, r, f, all)
}

func (s *Server) listPrefixes(w http.ResponseWriter, r *http.Request) {
	f, ok := parseFilters(w, r, "id")
	if !ok {
		return
	}
	var within netip.Prefix
	if v := f.q.Get("within"); v != "" {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			fieldError(w, "within", "Enter a valid prefix.")
			return
		}
		within = p.Masked()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []netbox.Prefix
	for _, p := range s.prefixes {
		if !f.match("id", strconv.Itoa(p.id)) || !f.match("prefix", p.cidr) || !f.match("description", p.description) || !f.match("status", p.status) {
			continue
		}
		if within.IsValid() {
			c := netip.MustParsePrefix(p.cidr)
			if c.Bits() <= within.Bits() || !within.Contains(c.Addr()) {
				continue
			}
		}
		all = append(all, s.prefixJSON(r, p))
	}
	page(w, r, f, all)
}

// decode reads a JSON body into v; false if it answered 400.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		detail(w, http.StatusBadRequest, "JSON parse error - "+err.Error())
		return false
	}
	return true
}

// taken answers a failed allocation of the twin as NetBox does: an
// exhausted pool is a conflict.
func taken(w http.ResponseWriter, err *port.Error, exhausted string) {
	if err.Class == port.Exhausted {
		detail(w, http.StatusConflict, exhausted)
		return
	}
	detail(w, http.StatusBadRequest, err.Message)
}

func (s *Server) allocateVLAN(w http.ResponseWriter, r *http.Request) {
	var req netbox.NewVLAN
	id, status, ok := write(w, r, &req, func() string { return req.Status })
	if !ok {
		return
	}
	if req.Name == "" {
		fieldError(w, "name", "This field is required.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := found(w, s.groups, id)
	if i < 0 {
		return
	}
	g := s.groups[i]
	res, err := s.twin.Take("VLAN", g.pool)
	if err != nil {
		taken(w, err, "The requested number of VLANs is not available")
		return
	}
	vid, _ := strconv.Atoi(res.Characteristics.Get("vlanId"))
	v := &vlan{id: s.newID(netbox.VLANsPath), group: g, vid: vid, name: req.Name, status: status, description: req.Description, held: res.ID}
	s.vlans = append(s.vlans, v)
	reply(w, http.StatusCreated, s.vlanJSON(r, v))
}

func (s *Server) allocatePrefix(w http.ResponseWriter, r *http.Request) {
	var req netbox.NewPrefix
	id, status, ok := write(w, r, &req, func() string { return req.Status })
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := found(w, s.prefixes, id)
	if i < 0 {
		return
	}
	parent := s.prefixes[i]
	if parent.pool == "" {
		detail(w, http.StatusConflict, "Insufficient space is available to accommodate the requested prefix size(s)")
		return
	}
	if req.PrefixLength != parent.size {
		fieldError(w, "prefix_length", fmt.Sprintf("Prefix %s is cut into /%d subnets only.", parent.cidr, parent.size))
		return
	}
	res, err := s.twin.Take("IPv4Subnet", parent.pool)
	if err != nil {
		taken(w, err, "Insufficient space is available to accommodate the requested prefix size(s)")
		return
	}
	p := &prefix{id: s.newID(netbox.PrefixesPath), cidr: res.Value, status: status, description: req.Description, held: res.ID}
	s.prefixes = append(s.prefixes, p)
	reply(w, http.StatusCreated, s.prefixJSON(r, p))
}

// write reads a write's {id}, its body into body, and the status the body
// asks for (status reads it; active if none); false if it answered.
func write(w http.ResponseWriter, r *http.Request, body any, status func() string) (int, string, bool) {
	id, ok := pathID(w, r)
	if !ok || !decode(w, r, body) {
		return 0, "", false
	}
	st := status()
	switch st {
	case "":
		return id, netbox.Active, true
	case netbox.Active, netbox.Reserved, "deprecated":
		return id, st, true
	}
	fieldError(w, "status", fmt.Sprintf("%q is not a valid choice.", st))
	return 0, "", false
}

func (s *Server) patchVLAN(w http.ResponseWriter, r *http.Request) {
	s.patch(w, r, func(id int, status string) bool {
		i := index(s.vlans, id)
		if i < 0 {
			return false
		}
		s.vlans[i].status = status
		reply(w, http.StatusOK, s.vlanJSON(r, s.vlans[i]))
		return true
	})
}

func (s *Server) patchPrefix(w http.ResponseWriter, r *http.Request) {
	s.patch(w, r, func(id int, status string) bool {
		i := index(s.prefixes, id)
		if i < 0 {
			return false
		}
		s.prefixes[i].status = status
		reply(w, http.StatusOK, s.prefixJSON(r, s.prefixes[i]))
		return true
	})
}

// patch reads a status change and applies it by set, under the lock; set
// answers and says whether the object exists.
func (s *Server) patch(w http.ResponseWriter, r *http.Request, set func(id int, status string) bool) {
	var req netbox.StatusPatch
	id, status, ok := write(w, r, &req, func() string { return req.Status })
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !set(id, status) {
		detail(w, http.StatusNotFound, "Not found.")
	}
}

func (s *Server) deleteVLAN(w http.ResponseWriter, r *http.Request) {
	s.delete(w, r, func(id int) (string, bool) {
		i := index(s.vlans, id)
		if i < 0 {
			return "", false
		}
		held := s.vlans[i].held
		s.vlans = slices.Delete(s.vlans, i, i+1)
		return held, true
	})
}

func (s *Server) deletePrefix(w http.ResponseWriter, r *http.Request) {
	s.delete(w, r, func(id int) (string, bool) {
		i := index(s.prefixes, id)
		if i < 0 || s.prefixes[i].pool != "" {
			return "", false // the pools themselves stay
		}
		held := s.prefixes[i].held
		s.prefixes = slices.Delete(s.prefixes, i, i+1)
		return held, true
	})
}

// delete removes an object by remove, under the lock, and gives what it
// held back to the twin.
func (s *Server) delete(w http.ResponseWriter, r *http.Request, remove func(id int) (held string, ok bool)) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	held, ok := remove(id)
	if !ok {
		detail(w, http.StatusNotFound, "Not found.")
		return
	}
	s.twin.Give(held)
	w.WriteHeader(http.StatusNoContent)
}

package netbox

import "strings"

// Fault makes the requests it matches fail as a NetBox in trouble does:
// answer Status with NetBox's error body {"detail": Detail} (503 for a
// NetBox down for maintenance, 409 for a conflict, 500 for a crash), or,
// with Hold, not answer until Hold is closed or the client gives up (so
// the client's deadline passes first). It fires the first Times times, or
// every time if Times is 0. The token is checked first: a refused request
// is not a hit.
type Fault struct {
	// Op is the method and the start of the path it matches:
	// "POST /api/ipam/vlan-groups/" hits every VLAN allocation.
	Op     string
	Status int
	Detail string
	Hold   <-chan struct{}
	Times  int
	hits   int
}

// Inject adds a fault; the first that matches a request fires.
func (s *Server) Inject(f *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// Hits is how often f fired.
func (s *Server) Hits(f *Fault) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return f.hits
}

// firing is the fault that hits a request op ("POST /api/…?…"), counted
// as a hit, or nil. The caller holds the lock.
func (s *Server) firing(op string) *Fault {
	for _, f := range s.faults {
		if strings.HasPrefix(op, f.Op) && (f.Times == 0 || f.hits < f.Times) {
			f.hits++
			return f
		}
	}
	return nil
}

package api

import "net/http"

// productOrdering routes its TMF API (to be written).
func (s *Server) productOrdering(mux *http.ServeMux) {}

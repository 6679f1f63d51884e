package api

import "net/http"

// resourceInventory routes its TMF API (to be written).
func (s *Server) resourceInventory(mux *http.ServeMux) {}

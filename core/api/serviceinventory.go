package api

import "net/http"

// serviceInventory routes its TMF API (to be written).
func (s *Server) serviceInventory(mux *http.ServeMux) {}

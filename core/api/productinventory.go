package api

import "net/http"

// productInventory routes its TMF API (to be written).
func (s *Server) productInventory(mux *http.ServeMux) {}

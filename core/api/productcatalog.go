package api

import "net/http"

// productCatalog routes its TMF API (to be written).
func (s *Server) productCatalog(mux *http.ServeMux) {}

package api

import "net/http"

// serviceCatalog routes its TMF API (to be written).
func (s *Server) serviceCatalog(mux *http.ServeMux) {}

package api

import "net/http"

// quoteManagement routes its TMF API (to be written).
func (s *Server) quoteManagement(mux *http.ServeMux) {}

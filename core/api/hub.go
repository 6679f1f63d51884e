package api

import "net/http"

// hub routes its TMF API (to be written).
func (s *Server) hub(mux *http.ServeMux) {}

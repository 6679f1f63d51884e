package scenarios

import "github.com/ordertwin/ordertwin/core/api"

// Stats counts the system's product orders and resource order items by
// state, for the metrics. Read it on the engine's goroutine.
func (s *System) Stats() api.Stats {
	st := api.Stats{OrdersByState: map[string]int{}, ResourceOrderItems: map[string]int{}}
	for _, po := range s.COM.Orders() {
		st.OrdersByState[po.State]++
	}
	for _, ro := range s.ROM.Orders() {
		for _, it := range ro.Items {
			st.ResourceOrderItems[it.State]++
		}
	}
	return st
}

package scenarios

import "github.com/ordertwin/ordertwin/core/api"

// Stats counts the system's product orders and resource order items by
// state, ROM's retries and completed items, for the metrics: what the
// components this process runs hold. Read it on the engine's goroutine.
func (s *System) Stats() api.Stats {
	st := api.Stats{OrdersByState: map[string]int{}, ResourceOrderItems: map[string]int{}}
	if s.COM != nil {
		for _, po := range s.COM.Orders() {
			st.OrdersByState[po.State]++
		}
		for state, n := range s.COM.Retired() {
			st.OrdersByState[state] += n
		}
	}
	if s.ROM != nil {
		for _, ro := range s.ROM.Orders() {
			for _, it := range ro.Items {
				st.ResourceOrderItems[it.State]++
			}
		}
		for state, n := range s.ROM.Retired() {
			st.ResourceOrderItems[state] += n
		}
		st.Retries, st.ResourceOrderItemsCompleted = s.ROM.Retries(), s.ROM.Completed()
	}
	return st
}

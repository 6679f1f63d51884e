module github.com/ordertwin/ordertwin

go 1.26.8

require (
	github.com/dominikbraun/graph v0.23.0
	github.com/looplab/fsm v1.0.3
	go.yaml.in/yaml/v3 v3.0.6
)

require github.com/stretchr/testify v1.12.1

require gonum.org/v1/gonum v0.17.0

package scenarios

import (
	"embed"

	"github.com/ordertwin/ordertwin/core/catalog"
	"github.com/ordertwin/ordertwin/twin"
)

// Library holds the scenario library, its catalog and networks, built into
// the binary.
//
//go:embed *.yaml catalog/*.yaml networks/*.yaml live/*.yaml
var Library embed.FS

// EnterpriseCatalog is the built-in enterprise catalog.
func EnterpriseCatalog() (*catalog.Catalog, error) {
	data, err := Library.ReadFile("catalog/enterprise.yaml")
	if err != nil {
		return nil, err
	}
	return catalog.Parse(data)
}

// NetworkDurations is the duration model of the built-in au-east network,
// for generated networks that should run on the worked example's times.
func NetworkDurations() (map[string]twin.Dur, error) {
	data, err := Library.ReadFile("networks/au-east.yaml")
	if err != nil {
		return nil, err
	}
	n, err := twin.ParseNetwork(data)
	if err != nil {
		return nil, err
	}
	return n.Durations, nil
}

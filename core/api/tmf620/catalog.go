package tmf620

// Catalog is a v4 Catalog: a collection of offerings, here the catalog
// file the server loaded.
type Catalog struct {
	ID              string      `json:"id"`
	Href            string      `json:"href"`
	Name            string      `json:"name"`
	Description     string      `json:"description,omitempty"`
	CatalogType     string      `json:"catalogType,omitempty"`
	LastUpdate      string      `json:"lastUpdate"`
	LifecycleStatus string      `json:"lifecycleStatus"`
	Version         string      `json:"version,omitempty"`
	Category        []EntityRef `json:"category,omitempty"`
	ValidFor        *TimePeriod `json:"validFor,omitempty"`
	Type            string      `json:"@type,omitempty"`
}

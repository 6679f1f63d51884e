// Package netbox is the subset of NetBox's REST API (its IPAM application)
// that the VLAN and IPAM adapter speaks and the twin's NetBox front-end
// serves: the JSON shapes of VLAN groups, VLANs and prefixes, the paged
// list, the error body, and the paths. Standard library only; both sides
// encode with encoding/json, so what one sends is what the other reads.
package netbox

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Paths of the API, under the server's base URL.
const (
	VLANGroupsPath = "/api/ipam/vlan-groups/"
	VLANsPath      = "/api/ipam/vlans/"
	PrefixesPath   = "/api/ipam/prefixes/"
)

// AvailableVLANsPath is where a VLAN of group id is allocated (POST) and
// the group's free VLANs listed (GET).
func AvailableVLANsPath(group int) string {
	return VLANGroupsPath + strconv.Itoa(group) + "/available-vlans/"
}

// AvailablePrefixesPath is where a child prefix of prefix id is allocated.
func AvailablePrefixesPath(parent int) string {
	return PrefixesPath + strconv.Itoa(parent) + "/available-prefixes/"
}

// ObjectPath is the path of one object in a list (VLANsPath, PrefixesPath).
func ObjectPath(list string, id int) string { return list + strconv.Itoa(id) + "/" }

// AuthHeader is the header that carries the API token, as "Token <token>".
const AuthHeader = "Authorization"

// TokenOf reads the token out of an Authorization header value; ok is
// false when the value is not of the form "Token <token>".
func TokenOf(header string) (token string, ok bool) {
	token, ok = strings.CutPrefix(header, "Token ")
	return token, ok && token != ""
}

// Statuses of VLANs and prefixes the adapter uses.
const (
	Reserved = "reserved"
	Active   = "active"
)

// Choice is a NetBox choice field as it reads back: {"value", "label"}.
type Choice struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Nested is a reference to another object.
type Nested struct {
	ID      int    `json:"id"`
	URL     string `json:"url"`
	Display string `json:"display"`
	Name    string `json:"name,omitempty"`
	Slug    string `json:"slug,omitempty"`
}

// Tag is a tag on an object.
type Tag struct {
	ID   int    `json:"id,omitempty"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// VLANGroup is a VLAN group: a pool of VLAN ids.
type VLANGroup struct {
	ID          int      `json:"id"`
	URL         string   `json:"url"`
	Display     string   `json:"display"`
	Name        string   `json:"name"`
	Slug        string   `json:"slug"`
	VIDRanges   [][2]int `json:"vid_ranges"`
	Description string   `json:"description"`
	Tags        []Tag    `json:"tags"`
}

// VLAN is a VLAN.
type VLAN struct {
	ID          int     `json:"id"`
	URL         string  `json:"url"`
	Display     string  `json:"display"`
	VID         int     `json:"vid"`
	Name        string  `json:"name"`
	Group       *Nested `json:"group"`
	Status      Choice  `json:"status"`
	Description string  `json:"description"`
	Tags        []Tag   `json:"tags"`
}

// Prefix is an IP prefix.
type Prefix struct {
	ID          int    `json:"id"`
	URL         string `json:"url"`
	Display     string `json:"display"`
	Family      Family `json:"family"`
	Prefix      string `json:"prefix"`
	Status      Choice `json:"status"`
	Description string `json:"description"`
	Tags        []Tag  `json:"tags"`
}

// Family is an address family as NetBox writes it: {"value": 4, "label": "IPv4"}.
type Family struct {
	Value int    `json:"value"`
	Label string `json:"label"`
}

// NewVLAN is the body of a VLAN allocation (POST available-vlans).
type NewVLAN struct {
	Name        string `json:"name"`
	Status      string `json:"status"`
	Description string `json:"description"`
}

// NewPrefix is the body of a prefix allocation (POST available-prefixes).
type NewPrefix struct {
	PrefixLength int    `json:"prefix_length"`
	Status       string `json:"status"`
	Description  string `json:"description"`
}

// StatusPatch is the body of a status change (PATCH).
type StatusPatch struct {
	Status string `json:"status"`
}

// Page is one page of a list: count is the whole list's length, next and
// previous the URLs of the neighbouring pages (null at the ends).
type Page[T any] struct {
	Count    int     `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  []T     `json:"results"`
}

// Detail is NetBox's error body for failures not tied to a field:
// {"detail": "..."}.
type Detail struct {
	Detail string `json:"detail"`
}

// StatusLabel is the label NetBox gives a status value.
func StatusLabel(value string) string {
	if value == "" {
		return ""
	}
	return strings.ToUpper(value[:1]) + value[1:]
}

// Body encodes v as a request or response body. The shapes here always
// encode.
func Body(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("netbox: " + err.Error()) // only the types above are encoded
	}
	return b
}

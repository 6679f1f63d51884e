// Package pnp is the wire format of Cisco Network Plug and Play, the
// protocol by which a router out of its box calls home for its
// configuration (zero-touch provisioning): the device says HELLO, asks for
// work (WORK-REQUEST), and reports what the work did (WORK-RESPONSE), each
// an HTTP request carrying a <pnp> XML envelope that names the device by
// its UDI; the server answers each with the next work, a backoff or a bye.
// Work and its report are paired by a correlator the server chooses.
//
// Both sides use it: the ZTP adapter (the server) and the twin's devices.
// Standard library only; every decoder has a fuzz target.
package pnp

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The HTTP paths a device calls, on the server that option 43 names.
const (
	HelloPath        = "/pnp/HELLO"
	WorkRequestPath  = "/pnp/WORK-REQUEST"
	WorkResponsePath = "/pnp/WORK-RESPONSE"
)

// Namespaces: the envelope's, and one per service.
const (
	Namespace  = "urn:cisco:pnp"
	WorkInfo   = "urn:cisco:pnp:work-info"   // a device asking for work; the server's bye
	DeviceInfo = "urn:cisco:pnp:device-info" // what the device is
	CLIConfig  = "urn:cisco:pnp:cli-config"  // apply CLI configuration
	CLIExec    = "urn:cisco:pnp:cli-exec"    // run an exec command, return its output
	Backoff    = "urn:cisco:pnp:backoff"     // call again later
)

// Version is the protocol version both sides write.
const Version = "1.0"

// ContentType is the media type of every message.
const ContentType = "application/xml; charset=utf-8"

// Message is the <pnp> envelope: from a device an <info> (asking for
// work) or a <response> (to work), from the server a <request> (work) or
// an <info> (bye).
type Message struct {
	XMLName  xml.Name  `xml:"urn:cisco:pnp pnp"`
	Version  string    `xml:"version,attr"`
	UDI      string    `xml:"udi,attr"`
	Info     *Info     `xml:"info"`
	Request  *Request  `xml:"request"`
	Response *Response `xml:"response"`
}

// Info is a device's work request (its DeviceID) or the server's bye
// (WorkInfo with Bye).
type Info struct {
	XMLName    xml.Name  `xml:"info"`
	Xmlns      string    `xml:"xmlns,attr"`
	Correlator string    `xml:"correlator,attr"`
	DeviceID   *DeviceID `xml:"deviceId"`
	WorkInfo   *WorkDone `xml:"workInfo"`
}

// DeviceID is how a device introduces itself in a work request.
type DeviceID struct {
	UDI          string `xml:"udi"`
	Hostname     string `xml:"hostname"`
	AuthRequired bool   `xml:"authRequired"`
}

// WorkDone carries the server's bye: no more work in this exchange.
type WorkDone struct {
	Bye *struct{} `xml:"bye"`
}

// Request is a piece of work for the device; its namespace (Xmlns) names
// the service.
type Request struct {
	XMLName       xml.Name     `xml:"request"`
	Xmlns         string       `xml:"xmlns,attr"`
	Correlator    string       `xml:"correlator,attr"`
	DeviceInfo    *InfoWanted  `xml:"deviceInfo"`
	ConfigApply   *ConfigApply `xml:"configApply"`
	ConfigPersist *struct{}    `xml:"configPersist"`
	ExecCLI       *ExecCLI     `xml:"execCLI"`
	Backoff       *BackoffFor  `xml:"backoff"`
}

// ExecCLI runs one exec command (a show command) and returns its output.
type ExecCLI struct {
	MaxWait string `xml:"maxWait,attr"`
	Cmd     string `xml:"cmd"`
}

// Service is the request's service namespace.
func (r *Request) Service() string {
	if r.Xmlns != "" {
		return r.Xmlns
	}
	return r.XMLName.Space
}

// InfoWanted asks for the device's description ("all").
type InfoWanted struct {
	Type string `xml:"type,attr"`
}

// ConfigApply hands the device CLI configuration to apply: the block is
// applied line by line, and a line the device refuses stops the apply
// (action-on-fail "stop").
type ConfigApply struct {
	Details      string     `xml:"details,attr"`
	ActionOnFail string     `xml:"action-on-fail,attr"`
	Block        ConfigData `xml:"config-data"`
}

// ConfigData holds the CLI text, as CDATA so that it reads as written.
type ConfigData struct {
	Block CDATA `xml:"cli-config-data-block"`
}

// CDATA is text written as a CDATA section.
type CDATA struct {
	Text string `xml:",cdata"`
}

// BackoffFor tells the device when to ask again.
type BackoffFor struct {
	Minutes int `xml:"callbackAfter>minutes,omitempty"`
	Seconds int `xml:"callbackAfter>seconds,omitempty"`
}

// Response is the device's report on one piece of work: success 1 or 0,
// with what the device is (device-info), the lines applied (cli-config)
// and, on failure, why.
type Response struct {
	XMLName      xml.Name      `xml:"response"`
	Xmlns        string        `xml:"xmlns,attr"`
	Correlator   string        `xml:"correlator,attr"`
	Success      int           `xml:"success,attr"`
	HardwareInfo *HardwareInfo `xml:"hardwareInfo"`
	Results      []ResultEntry `xml:"resultEntry"`
	// Output is what an exec command printed.
	Output    string     `xml:"execLog>dialogueLog>received>text,omitempty"`
	ErrorInfo *ErrorInfo `xml:"errorInfo"`
}

// Service is the response's service namespace.
func (r *Response) Service() string {
	if r.Xmlns != "" {
		return r.Xmlns
	}
	return r.XMLName.Space
}

// HardwareInfo is the part of device-info the server checks.
type HardwareInfo struct {
	Hostname     string `xml:"hostname"`
	PlatformName string `xml:"platformName"`
	BoardID      string `xml:"boardId"`
}

// ResultEntry is one configuration line and how it went.
type ResultEntry struct {
	LineNumber int        `xml:"lineNumber,attr"`
	CLIString  string     `xml:"cliString,attr"`
	Success    *struct{}  `xml:"success"`
	Failure    *ErrorInfo `xml:"failure>errorInfo"`
}

// ErrorInfo says why work failed.
type ErrorInfo struct {
	Message  string `xml:"errorMessage"`
	Severity string `xml:"errorSeverity"`
}

// Marshal encodes m with the XML header, indented as every side writes it.
func (m *Message) Marshal() []byte {
	if m.Version == "" {
		m.Version = Version
	}
	b, err := xml.MarshalIndent(m, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("pnp: a message does not encode: %v", err)) // strings and numbers only
	}
	return append([]byte(xml.Header), append(b, '\n')...)
}

// ErrMessage is wrapped by every decoding error.
var ErrMessage = errors.New("pnp: bad message")

// Parse decodes an envelope: one <pnp> in the PnP namespace with a UDI.
func Parse(body []byte) (*Message, error) {
	var m Message
	if err := xml.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMessage, err)
	}
	if m.UDI == "" {
		return nil, fmt.Errorf("%w: no udi", ErrMessage)
	}
	return &m, nil
}

// Work is a server's request for udi.
func Work(udi string, r *Request) *Message { return &Message{UDI: udi, Request: r} }

// Bye is the server's end of an exchange.
func Bye(udi, correlator string) *Message {
	return &Message{UDI: udi, Info: &Info{Xmlns: WorkInfo, Correlator: correlator, WorkInfo: &WorkDone{Bye: &struct{}{}}}}
}

// UDI is a device's unique device identifier: product id, version id and
// serial number, written "PID:ISR4431/K9,VID:V01,SN:FDO2340567".
type UDI struct {
	PID, VID, SN string
}

func (u UDI) String() string { return "PID:" + u.PID + ",VID:" + u.VID + ",SN:" + u.SN }

// ParseUDI reads a UDI; the serial number is required.
func ParseUDI(s string) (UDI, error) {
	var u UDI
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return UDI{}, fmt.Errorf("%w: udi %q: %q is not KEY:value", ErrMessage, s, part)
		}
		switch k {
		case "PID":
			u.PID = v
		case "VID":
			u.VID = v
		case "SN":
			u.SN = v
		}
	}
	if u.SN == "" {
		return UDI{}, fmt.Errorf("%w: udi %q has no serial number", ErrMessage, s)
	}
	return u, nil
}

// Discovery is where DHCP option 43 sends a device: the PnP server's
// address and port, over HTTP or HTTPS.
type Discovery struct {
	// Host is an IPv4 address or a host name.
	Host  string
	Port  int
	HTTPS bool
}

// Option43 is the text of DHCP option 43 (vendor-specific information)
// that points a device's PnP agent at d:
// "5A1N;B2;K4;I10.0.0.1;J80" — 5 PnP, A active, 1 version, N no debug;
// B2 the address is IPv4 (B1 a host name); K4 HTTP (K5 HTTPS); I the
// address; J the port.
func (d Discovery) Option43() string {
	b, k := "B2", "K4"
	if !isIPv4(d.Host) {
		b = "B1"
	}
	if d.HTTPS {
		k = "K5"
	}
	return "5A1N;" + b + ";" + k + ";I" + d.Host + ";J" + strconv.Itoa(d.Port)
}

// ParseOption43 reads option 43 text as a device's agent does.
func ParseOption43(s string) (Discovery, error) {
	fields := strings.Split(s, ";")
	if len(fields) == 0 || !strings.HasPrefix(fields[0], "5A1") {
		return Discovery{}, fmt.Errorf("option 43 %q: does not start with 5A1 (PnP, active, version 1)", s)
	}
	d := Discovery{Port: 80}
	for _, f := range fields[1:] {
		if f == "" {
			continue
		}
		switch v := f[1:]; f[0] {
		case 'B':
			if v != "1" && v != "2" {
				return Discovery{}, fmt.Errorf("option 43 %q: address type B%s is not B1 (host name) or B2 (IPv4)", s, v)
			}
		case 'K':
			switch v {
			case "4":
				d.HTTPS = false
			case "5":
				d.HTTPS = true
			default:
				return Discovery{}, fmt.Errorf("option 43 %q: transport K%s is not K4 (HTTP) or K5 (HTTPS)", s, v)
			}
		case 'I':
			d.Host = v
		case 'J':
			p, err := strconv.Atoi(v)
			if err != nil || p < 1 || p > 65535 {
				return Discovery{}, fmt.Errorf("option 43 %q: port J%s is not 1-65535", s, v)
			}
			d.Port = p
		}
	}
	if d.Host == "" {
		return Discovery{}, fmt.Errorf("option 43 %q: no server address (I)", s)
	}
	return d, nil
}

// URL is the base URL of the server d names.
func (d Discovery) URL() string {
	scheme := "http"
	if d.HTTPS {
		scheme = "https"
	}
	return scheme + "://" + hostPort(d.Host, d.Port)
}

func hostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host + ":" + strconv.Itoa(port)
}

func isIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 255 {
			return false
		}
	}
	return true
}

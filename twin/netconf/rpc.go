package netconf

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/netconf"
)

// rpc is a client's request: its message-id and operation.
type rpc struct {
	MessageID string `xml:"message-id,attr"`
	Ops       []struct {
		XMLName xml.Name
		Inner   []byte `xml:",innerxml"`
	} `xml:",any"`
}

type datastore struct {
	Candidate *struct{} `xml:"candidate"`
	Running   *struct{} `xml:"running"`
}

func (d datastore) name() string {
	switch {
	case d.Candidate != nil:
		return "candidate"
	case d.Running != nil:
		return "running"
	}
	return ""
}

type operation struct {
	Target datastore `xml:"target"`
	Source datastore `xml:"source"`
	Config *struct {
		Inner []byte `xml:",innerxml"`
	} `xml:"config"`
	DefaultOperation string    `xml:"default-operation"`
	Confirmed        *struct{} `xml:"confirmed"`
	ConfirmTimeout   string    `xml:"confirm-timeout"`
	Filter           *struct {
		Type  string `xml:"type,attr"`
		Inner []byte `xml:",innerxml"`
	} `xml:"filter"`
}

func protocolErr(tag, msg string) *netconf.Error {
	return &netconf.Error{Type: "protocol", Tag: tag, Message: msg}
}

// handle answers one operation of session id. close is true for
// close-session.
func (d *Device) handle(id uint32, name string, inner []byte) (data []byte, close bool, err *netconf.Error) {
	var op operation
	if e := xml.Unmarshal(append(append([]byte("<op>"), inner...), "</op>"...), &op); e != nil {
		return nil, false, protocolErr(netconf.MalformedMsg, e.Error())
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	switch name {
	case "lock", "unlock":
		if op.Target.name() != "candidate" {
			return nil, false, protocolErr(netconf.NotSupported, "only the candidate can be locked")
		}
		if name == "lock" {
			return nil, false, d.lock(id)
		}
		if d.lockedBy != id {
			return nil, false, &netconf.Error{Type: "protocol", Tag: netconf.OperationFailed, Message: "the candidate is not locked by this session"}
		}
		d.lockedBy = 0
		return nil, false, nil
	case "edit-config":
		if op.Target.name() != "candidate" {
			return nil, false, protocolErr(netconf.NotSupported, "edit-config: only the candidate is writable")
		}
		if op.Config == nil {
			return nil, false, protocolErr(netconf.MissingElem, "edit-config without <config>")
		}
		if op.DefaultOperation != "" && op.DefaultOperation != netconf.OpMerge {
			return nil, false, protocolErr(netconf.NotSupported, "default-operation "+op.DefaultOperation)
		}
		if e := d.heldElsewhere(id); e != nil {
			return nil, false, e
		}
		if d.Judge != nil {
			if e := d.Judge(op.Config.Inner); e != nil {
				return nil, false, e
			}
		}
		d.edits = append(d.edits, op.Config.Inner)
		tree, e := netconf.ParseTree(op.Config.Inner)
		if e != nil {
			return nil, false, &netconf.Error{Type: "application", Tag: netconf.MalformedMsg, Message: e.Error()}
		}
		next, aerr := netconf.Apply(d.candidate, tree)
		if aerr != nil {
			return nil, false, aerr
		}
		d.candidate = next
		return nil, false, nil
	case "validate":
		return nil, false, check(d.candidate)
	case "commit":
		return nil, false, d.commit(id, op)
	case "cancel-commit":
		if d.pending == nil || d.pending.session != id {
			return nil, false, &netconf.Error{Type: "protocol", Tag: netconf.OperationFailed, Message: "no confirmed commit of this session to cancel"}
		}
		d.rollback()
		return nil, false, nil
	case "discard-changes":
		if e := d.heldElsewhere(id); e != nil {
			return nil, false, e
		}
		d.candidate = netconf.Clone(d.running)
		return nil, false, nil
	case "get-config", "get":
		tree := d.running
		if op.Source.name() == "candidate" {
			tree = d.candidate
		}
		var filter []*netconf.Node
		if op.Filter != nil {
			if op.Filter.Type != "" && op.Filter.Type != "subtree" {
				return nil, false, protocolErr(netconf.NotSupported, "filter type "+op.Filter.Type)
			}
			f, e := netconf.ParseTree(op.Filter.Inner)
			if e != nil {
				return nil, false, protocolErr(netconf.MalformedMsg, e.Error())
			}
			filter = f
			if filter == nil {
				filter = []*netconf.Node{}
			}
		}
		return netconf.Marshal(netconf.Filter(tree, filter)), false, nil
	case "close-session":
		return nil, true, nil
	}
	return nil, false, protocolErr(netconf.NotSupported, "operation "+name)
}

func (d *Device) lock(id uint32) *netconf.Error {
	if d.lockedBy != 0 {
		return &netconf.Error{Type: "protocol", Tag: netconf.LockDenied, Message: "lock held by another session",
			Info: &netconf.Info{SessionID: d.lockedBy}}
	}
	if d.pending != nil && d.pending.session != id {
		return &netconf.Error{Type: "protocol", Tag: netconf.LockDenied, Message: "a confirmed commit of another session is pending",
			Info: &netconf.Info{SessionID: d.pending.session}}
	}
	d.lockedBy = id
	return nil
}

func (d *Device) heldElsewhere(id uint32) *netconf.Error {
	if d.lockedBy != 0 && d.lockedBy != id {
		return &netconf.Error{Type: "protocol", Tag: netconf.InUse, Message: "the candidate is locked by another session",
			Info: &netconf.Info{SessionID: d.lockedBy}}
	}
	return nil
}

// commit makes the candidate running (RFC 6241 §8.3.4.1), or, confirmed,
// makes it running until the confirm timeout unless confirmed (§8.4).
func (d *Device) commit(id uint32, op operation) *netconf.Error {
	if e := d.heldElsewhere(id); e != nil {
		return e
	}
	if e := check(d.candidate); e != nil {
		return e
	}
	if op.Confirmed == nil {
		if d.pending != nil {
			d.pending.stop()
			d.pending = nil
		}
		d.running = netconf.Clone(d.candidate)
		d.commits++
		return nil
	}
	timeout := DefaultConfirmTimeout
	if op.ConfirmTimeout != "" {
		s, err := strconv.ParseUint(strings.TrimSpace(op.ConfirmTimeout), 10, 32)
		if err != nil || s == 0 {
			return &netconf.Error{Type: "protocol", Tag: netconf.InvalidValue, Message: "confirm-timeout " + op.ConfirmTimeout}
		}
		timeout = time.Duration(s) * time.Second
	}
	before := d.running
	if d.pending != nil { // a follow-up confirmed commit: the timer restarts, the way back stays
		d.pending.stop()
		before = d.pending.before
	}
	c := &confirmation{session: id, before: before}
	c.stop = d.clock.AfterFunc(timeout, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.pending == c {
			d.rollback()
		}
	})
	d.pending = c
	d.running = netconf.Clone(d.candidate)
	return nil
}

// references are the leaves that name another list entry, and which list:
// the references of the TR-385 configuration the twin checks on validate
// and commit (the YANG schema itself is checked by yanglint in tests).
var references = map[string]string{
	"channel-group-ref":              "interface",
	"channel-partition-ref":          "interface",
	"channel-pair-ref":               "interface",
	"channel-termination-ref":        "interface",
	"channel-partition":              "interface",
	"preferred-channel-pair":         "interface",
	"lower-layer-interface":          "interface",
	"interface-reference":            "interface",
	"sub-interface":                  "interface",
	"tcont-ref":                      "tcont",
	"traffic-descriptor-profile-ref": "traffic-descriptor-profile",
}

// check finds a reference to an entry the configuration does not hold
// (RFC 6241 §8.6: validate).
func check(tree []*netconf.Node) *netconf.Error {
	names := map[string]bool{}
	var collect func([]*netconf.Node)
	collect = func(ns []*netconf.Node) {
		for _, n := range ns {
			if k := n.Child("name"); k != nil && k.Leaf() {
				names[n.Name.Local+"="+k.Text] = true
			}
			collect(n.Children)
		}
	}
	collect(tree)
	var walk func(at string, ns []*netconf.Node) *netconf.Error
	walk = func(at string, ns []*netconf.Node) *netconf.Error {
		for _, n := range ns {
			list, ok := references[n.Name.Local]
			// <interface> is a reference inside subif-lower-layer and a
			// gemport, a list entry elsewhere.
			if n.Name.Local == "interface" && n.Leaf() {
				list, ok = "interface", true
			}
			p := at + "/" + n.Name.Local
			if ok && n.Leaf() && !names[list+"="+n.Text] {
				return &netconf.Error{Type: "application", Tag: netconf.InvalidValue, AppTag: "instance-required", Path: p,
					Message: fmt.Sprintf("%s names %s %q, which does not exist", p, list, n.Text)}
			}
			if e := walk(p, n.Children); e != nil {
				return e
			}
		}
		return nil
	}
	return walk("", tree)
}

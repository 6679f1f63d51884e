package ztp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ordertwin/ordertwin/core/pnp"
	"github.com/ordertwin/ordertwin/twin"
)

// Clock makes a router wait out a backoff. Tests give one they drive.
type Clock interface {
	After(d time.Duration) <-chan time.Time
}

// WallClock is the real time.
type WallClock struct{}

// After is time.After.
func (WallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Config configures the fleet's agents.
type Config struct {
	// Option43 is what DHCP hands the routers: where the PnP server is
	// ("5A1N;B2;K4;I127.0.0.1;J9080").
	Option43 string
	// User and Password are the credentials pre-staged in the routers'
	// PnP profile, if the server asks for them.
	User, Password string
	Clock          Clock
	Client         *http.Client
	// Ended, if set, hears of every agent Serve ran once it stops.
	Ended chan<- Ended
}

// Ended is how a router's call home ended: nil once configured, ErrLost,
// or why it stopped.
type Ended struct {
	Serial string
	Err    error
}

// Fleet is the network's CE routers with their PnP agents.
type Fleet struct {
	cfg       Config
	server    string
	devices   map[string]*Device
	installed chan *Device
}

// NewFleet makes a router for every serial of the network's CPE stock,
// of a model PnP knows.
func NewFleet(stock []twin.CPEStock, cfg Config) (*Fleet, error) {
	d, err := pnp.ParseOption43(cfg.Option43)
	if err != nil {
		return nil, fmt.Errorf("twin routers: %w", err)
	}
	if cfg.Clock == nil {
		cfg.Clock = WallClock{}
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	f := &Fleet{cfg: cfg, server: d.URL(), devices: map[string]*Device{}}
	for _, s := range stock {
		p, ok := pnp.Platforms[s.Model]
		if !ok {
			return nil, fmt.Errorf("twin routers: model %s of the %s stock is not one PnP knows (%s)", s.Model, s.Region, pnp.PlatformNames())
		}
		for _, serial := range s.Serials {
			f.devices[serial] = &Device{Model: s.Model, UDI: pnp.UDIOf(s.Model, serial), ports: p.Ports,
				state: State{Hostname: "Router", Interfaces: map[string]Interface{}}}
		}
	}
	f.installed = make(chan *Device, len(f.devices)+1)
	return f, nil
}

// Device is the router with serial, or nil.
func (f *Fleet) Device(serial string) *Device { return f.devices[serial] }

// Install says the router with serial is installed at its site (the
// twin's logistics delivered it): it boots, and Serve has it call home.
func (f *Fleet) Install(serial string) error {
	d := f.devices[serial]
	if d == nil {
		return fmt.Errorf("twin routers: no CE router %s in stock", serial)
	}
	select {
	case f.installed <- d:
		return nil
	default:
		return fmt.Errorf("twin routers: %d installs are waiting for Serve", len(f.installed))
	}
}

// Serve runs the agents of the routers installed, each until it has
// applied and saved its configuration, or ctx ends; it returns when ctx
// ends and every agent has stopped.
func (f *Fleet) Serve(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case d := <-f.installed:
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := f.callHome(ctx, d)
				if f.cfg.Ended != nil {
					f.cfg.Ended <- Ended{Serial: d.UDI.SN, Err: err}
				}
			}()
		}
	}
}

// CallHome runs the router's agent once, synchronously: it returns when
// the router has applied and saved a configuration, or ctx ends, or the
// server cannot be reached. A lost router returns at once, having called
// no one.
func (f *Fleet) CallHome(ctx context.Context, serial string) error {
	d := f.devices[serial]
	if d == nil {
		return fmt.Errorf("twin routers: no CE router %s in stock", serial)
	}
	return f.callHome(ctx, d)
}

// ErrLost is what a lost router's call home returns.
var ErrLost = errors.New("the router never called home (lostCPE)")

func (f *Fleet) callHome(ctx context.Context, d *Device) error {
	d.mu.Lock()
	lost := d.firing(LostCPE)
	if !lost {
		d.state.CalledHome++
	}
	d.mu.Unlock()
	if lost {
		return ErrLost
	}
	udi := d.UDI.String()
	if _, err := f.post(ctx, pnp.HelloPath, nil); err != nil {
		return err
	}
	for n := 1; ; n++ {
		ask := &pnp.Message{UDI: udi, Info: &pnp.Info{Xmlns: pnp.WorkInfo, Correlator: "CiscoPnP-1.0-" + strconv.Itoa(n),
			DeviceID: &pnp.DeviceID{UDI: udi, Hostname: d.Show().Hostname}}}
		work, err := f.exchange(ctx, d, pnp.WorkRequestPath, ask)
		if err != nil {
			return err
		}
		switch r := work.Request; {
		case r != nil && r.Service() == pnp.DeviceInfo:
			resp := &pnp.Response{Xmlns: pnp.DeviceInfo, Correlator: r.Correlator, Success: 1,
				HardwareInfo: &pnp.HardwareInfo{Hostname: d.Show().Hostname, PlatformName: d.UDI.PID, BoardID: d.UDI.SN}}
			if _, err := f.exchange(ctx, d, pnp.WorkResponsePath, &pnp.Message{UDI: udi, Response: resp}); err != nil {
				return err
			}
		case r != nil && r.Service() == pnp.CLIConfig && r.ConfigApply != nil:
			persist := r.ConfigPersist != nil
			applied, refused := d.apply(r.ConfigApply.Block.Block.Text, persist)
			resp := &pnp.Response{Xmlns: pnp.CLIConfig, Correlator: r.Correlator, Success: 1}
			for i, line := range applied {
				e := pnp.ResultEntry{LineNumber: i + 1, CLIString: line, Success: &struct{}{}}
				if refused != nil && i == len(applied)-1 {
					resp.Success = 0
					e.Success, e.Failure = nil, &pnp.ErrorInfo{Message: refused.why, Severity: "ERROR"}
				}
				resp.Results = append(resp.Results, e)
			}
			if err := f.report(ctx, d, resp); err != nil {
				return err
			}
			if refused == nil && persist {
				return nil // configured and saved, and heard: the agent's work is done
			}
		case r != nil && r.Service() == pnp.CLIExec && r.ExecCLI != nil:
			resp := &pnp.Response{Xmlns: pnp.CLIExec, Correlator: r.Correlator, Success: 1}
			if out, err := d.exec(r.ExecCLI.Cmd); err != nil {
				resp.Success, resp.ErrorInfo = 0, &pnp.ErrorInfo{Message: err.Error(), Severity: "ERROR"}
			} else {
				resp.Output = out
			}
			if err := f.report(ctx, d, resp); err != nil {
				return err
			}
		case r != nil && r.Service() == pnp.Backoff && r.Backoff != nil:
			if d.Show().Heard {
				return nil // configured, saved, heard, and the server has no more work
			}
			wait := time.Duration(r.Backoff.Minutes)*time.Minute + time.Duration(r.Backoff.Seconds)*time.Second
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-f.cfg.Clock.After(max(wait, time.Second)):
			}
		default: // a bye, or work the router does not do: ask again later
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-f.cfg.Clock.After(time.Minute):
			}
		}
	}
}

// report sends the server the router's response to its work; once the
// server has answered it, a saved configuration has been heard.
func (f *Fleet) report(ctx context.Context, d *Device, resp *pnp.Response) error {
	if _, err := f.exchange(ctx, d, pnp.WorkResponsePath, &pnp.Message{UDI: d.UDI.String(), Response: resp}); err != nil {
		return err
	}
	d.mu.Lock()
	d.state.Heard = d.state.Saved
	d.mu.Unlock()
	return nil
}

// exchange sends m to path and returns the server's answer, recorded as
// heard.
func (f *Fleet) exchange(ctx context.Context, d *Device, path string, m *pnp.Message) (*pnp.Message, error) {
	body, err := f.post(ctx, path, m.Marshal())
	if err != nil {
		return nil, err
	}
	got, err := pnp.Parse(body)
	if err != nil {
		return nil, fmt.Errorf("router %s: the answer to %s: %w", d.UDI.SN, path, err)
	}
	op := "bye"
	if got.Request != nil {
		op = strings.TrimPrefix(got.Request.Service(), "urn:cisco:pnp:")
	}
	d.mu.Lock()
	d.heard = append(d.heard, Heard{Op: op, Body: string(body)})
	d.mu.Unlock()
	return got, nil
}

// post sends body (a GET when nil) and returns the answer's body.
func (f *Fleet) post(ctx context.Context, path string, body []byte) ([]byte, error) {
	method := http.MethodPost
	if body == nil {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, f.server+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("PnP %s: %w", path, err)
	}
	req.Header.Set("Content-Type", pnp.ContentType)
	if f.cfg.User != "" {
		req.SetBasicAuth(f.cfg.User, f.cfg.Password)
	}
	resp, err := f.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("PnP %s: %w", path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("PnP %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("PnP %s: %s", path, resp.Status)
	}
	return out, nil
}

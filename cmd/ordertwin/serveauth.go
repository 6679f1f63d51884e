package main

import (
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"

	"github.com/ordertwin/ordertwin/core/auth"
)

// serveAuthOptions are what serve's flags say of authentication.
type serveAuthOptions struct {
	file       string // --auth
	insecure   bool
	addr       string
	db         string
	peerSecret string
}

// serveGuard builds the guard of a server: the auth file's issuers and
// keys, or without one the development issuer alone, which serves on a
// loopback address only unless --insecure. The development issuer's key
// is kept beside the store (made on first use). With a peer secret, it
// takes the messages of its peers signed with it.
func serveGuard(o serveAuthOptions, log *slog.Logger) (guard *auth.Guard, keep func() error, err error) {
	cfg := &auth.Config{DevIssuer: true}
	if o.file != "" {
		if cfg, err = auth.LoadConfig(o.file); err != nil {
			return nil, nil, err
		}
	} else {
		loopback, err := isLoopback(o.addr)
		if err != nil {
			return nil, nil, fmt.Errorf("--addr %q: %w", o.addr, err)
		}
		if !loopback && !o.insecure {
			return nil, nil, fmt.Errorf("--addr %s is not a loopback address, and without --auth FILE (docs/auth.md) anyone "+
				"who can read %s can sign a token: give --auth, or --insecure to serve anyway", o.addr, devKeyFile(o.db))
		}
		if loopback {
			log.Info("no auth file: serving on loopback only; tokens of the development issuer (ordertwin token --key "+devKeyFile(o.db)+" --role ROLE)",
				"addr", o.addr)
		} else {
			log.Warn("no auth file and --insecure: serving beyond loopback with the development issuer's tokens", "addr", o.addr)
		}
	}
	// The development issuer's key is read if it is there, else made in
	// memory: keep writes it once the store is open, so that a server
	// stopped by its store (a wrong URL, a store that is not its) leaves
	// nothing behind.
	var devKey ed25519.PrivateKey
	keep = func() error { return nil }
	if cfg.DevIssuer {
		path := devKeyFile(o.db)
		key, err := auth.LoadDevKey(path)
		switch {
		case err == nil:
			log.Info("development issuer", "key", path, "new", false, "issuer", auth.DevIssuerName)
		case errors.Is(err, fs.ErrNotExist):
			if key, err = auth.NewDevKey(); err != nil {
				return nil, nil, err
			}
			keep = func() error {
				saved, created, err := auth.SaveDevKey(path, key)
				if err != nil {
					return err
				}
				if !saved.Equal(key) {
					// Another instance of the deployment (or a server on
					// the store) saved its key first: that one is the
					// store's.
					guard.UseDevKey(saved)
				}
				log.Info("development issuer", "key", path, "new", created, "issuer", auth.DevIssuerName)
				return nil
			}
		default:
			return nil, nil, err
		}
		devKey = key
	}
	var secret []byte
	if o.peerSecret != "" {
		if secret, err = auth.LoadPeerSecret(o.peerSecret); err != nil {
			return nil, nil, err
		}
	}
	guard, err = auth.NewGuard(cfg, devKey, secret)
	return guard, keep, err
}

// isLoopback tells whether addr (HOST:PORT) listens on loopback only.
func isLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	if host == "localhost" {
		return true, nil
	}
	ip := net.ParseIP(host)
	if ip == nil {
		ips, err := net.LookupIP(host)
		if err != nil || len(ips) == 0 {
			return false, nil
		}
		for _, ip := range ips {
			if !ip.IsLoopback() {
				return false, nil
			}
		}
		return true, nil
	}
	return ip.IsLoopback(), nil
}

// serveTLS is the TLS configuration of --tls-cert and --tls-key (nil for
// neither).
func serveTLS(cert, key string) (*tls.Config, error) {
	switch {
	case cert == "" && key == "":
		return nil, nil
	case cert == "" || key == "":
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert %s, --tls-key %s: %w", cert, key, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

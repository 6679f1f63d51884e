package main

import (
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
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
func serveGuard(o serveAuthOptions, log *slog.Logger) (*auth.Guard, error) {
	cfg := &auth.Config{DevIssuer: true}
	if o.file != "" {
		var err error
		if cfg, err = auth.LoadConfig(o.file); err != nil {
			return nil, err
		}
	} else {
		loopback, err := isLoopback(o.addr)
		if err != nil {
			return nil, fmt.Errorf("--addr %q: %w", o.addr, err)
		}
		if !loopback && !o.insecure {
			return nil, fmt.Errorf("--addr %s is not a loopback address, and without --auth FILE (docs/auth.md) anyone "+
				"who can read %s can sign a token: give --auth, or --insecure to serve anyway", o.addr, devKeyFile(o.db))
		}
		if loopback {
			log.Info("no auth file: serving on loopback only; tokens of the development issuer (ordertwin token --key "+devKeyFile(o.db)+" --role ROLE)",
				"addr", o.addr)
		} else {
			log.Warn("no auth file and --insecure: serving beyond loopback with the development issuer's tokens", "addr", o.addr)
		}
	}
	var devKey ed25519.PrivateKey
	if cfg.DevIssuer {
		key, created, err := auth.LoadOrCreateDevKey(devKeyFile(o.db))
		if err != nil {
			return nil, err
		}
		devKey = key
		log.Info("development issuer", "key", devKeyFile(o.db), "new", created, "issuer", auth.DevIssuerName)
	}
	var secret []byte
	if o.peerSecret != "" {
		var err error
		if secret, err = auth.LoadPeerSecret(o.peerSecret); err != nil {
			return nil, err
		}
	}
	return auth.NewGuard(cfg, devKey, secret)
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

package sqlite

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ErrHeld: another process (or another part of this one) holds the store,
// a server serving it or a compaction at work on it.
var ErrHeld = errors.New("the store is held by another process (a server serving it, or a compaction): stop it first")

// Hold takes the store in file for the caller alone, until release: a
// server holds its store while it serves, and a compaction holds it while
// it moves records out, so that neither runs on a store the other holds.
// The hold is an exclusive lock (flock) on the file FILE.lock beside the
// store, which the system lets go when the holder exits, however it ends:
// a server killed holds nothing. The lock file is left in place. A store
// already held is ErrHeld.
func Hold(file string) (release func() error, err error) {
	if err := CheckName(file); err != nil {
		return nil, err
	}
	name := file + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("hold %s: %w", file, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("hold %s: %w (%s is locked)", file, ErrHeld, name)
		}
		return nil, fmt.Errorf("hold %s: %w", file, err)
	}
	return f.Close, nil // closing the file lets the lock go
}

// openHeld holds the store in file (Hold) and opens it, for a command
// that works on a store no server serves; done closes it, then lets the
// hold go.
func openHeld(file string) (st *Store, done func(), err error) {
	release, err := Hold(file)
	if err != nil {
		return nil, nil, err
	}
	if st, err = Open(file, Options{}); err != nil {
		release()
		return nil, nil, err
	}
	return st, func() { st.Close(); release() }, nil
}

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// chaosTemp begins the name of a run's temporary folder (no --dir).
const chaosTemp = "ordertwin-chaos-"

// liveMark is the file a run writes in its temporary folder once it holds
// the folder's lock: a folder with the mark and no lock held is an earlier
// run's that ended without cleaning up (killed).
const liveMark = "chaos.live"

// checkRunDir refuses a --dir that holds what an earlier run left: its
// tmpfs still mounted (the run was killed before it unmounted it), or a
// store, of the faulted run or of the uninterrupted one. A run starts on
// new stores.
func checkRunDir(dir string) error {
	if disk := filepath.Join(dir, "disk"); mountPoint(disk) {
		return fmt.Errorf("chaos: --dir %s: %s is still mounted, the tmpfs of an earlier run that did not end cleanly (killed): umount it (the earlier run's stores are on it), then remove the folder or choose another", dir, disk)
	}
	for _, store := range []string{"run", "reference"} {
		if _, err := os.Stat(filepath.Join(dir, store)); err == nil {
			return fmt.Errorf("chaos: --dir %s holds the store of an earlier run (%s): a run starts on new stores (remove it, or choose another folder)", dir, store)
		}
	}
	return nil
}

// mountPoint says whether path is where a filesystem is mounted: it is on
// another device than its folder.
func mountPoint(path string) bool {
	var at, parent syscall.Stat_t
	if syscall.Stat(path, &at) != nil || syscall.Stat(filepath.Dir(path), &parent) != nil {
		return false
	}
	return at.Dev != parent.Dev
}

// markLive locks a run's temporary folder for as long as the run lives
// (the lock goes with the process, however it ends) and marks it so; the
// returned func lets the lock go.
func markLive(dir string) (func(), error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking the run's folder %s: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, liveMark), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// sweepLeftovers removes the temporary folders in tmp that earlier runs
// left when they were killed (marked, and their lock free), unmounting
// the tmpfs one left mounted and dropping the PostgreSQL schemas one
// made; it says what it removed, and what it could not. A folder a live run holds, or one without the mark (not a run's,
// or one just made), is left alone.
func sweepLeftovers(tmp string, stdout io.Writer) {
	dirs, _ := filepath.Glob(filepath.Join(tmp, chaosTemp+"*"))
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, liveMark)); err != nil {
			continue
		}
		f, err := os.Open(dir)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			f.Close() // a run lives in it
			continue
		}
		disk := filepath.Join(dir, "disk")
		if mountPoint(disk) {
			if out, err := exec.Command("umount", disk).CombinedOutput(); err != nil {
				fmt.Fprintf(stdout, "chaos: %s, left by an earlier run that did not end cleanly, still has its tmpfs mounted on %s, and unmounting it failed: %v: %s (umount it as root, then remove the folder)\n",
					dir, disk, err, strings.TrimSpace(string(out)))
				f.Close()
				continue
			}
		}
		if err := dropLeftoverSchemas(dir); err != nil {
			fmt.Fprintf(stdout, "chaos: %s, left by an earlier run that did not end cleanly, names PostgreSQL schemas it made, and dropping them failed: %v (drop them, then remove the folder)\n", dir, err)
			f.Close()
			continue
		}
		err = os.RemoveAll(dir)
		f.Close()
		if err != nil {
			fmt.Fprintf(stdout, "chaos: removing %s, left by an earlier run that did not end cleanly: %v\n", dir, err)
			continue
		}
		fmt.Fprintf(stdout, "chaos: removed %s, left by an earlier run that did not end cleanly (killed)\n", dir)
	}
}

package sqlite

import (
	"fmt"
	"strconv"

	"github.com/ordertwin/ordertwin/core/store"
)

// LoseAck makes s believe that its last commit, of records and inputs,
// failed as SQLite ended it although it reached the file: the case Commit
// must not write twice when it is given the same commit again.
func LoseAck(s *Store, records, inputs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unsure, s.unsureChain = true, s.chain
	prev := s.chain
	prev.commits--
	prev.lastInput -= int64(inputs)
	prev.head = store.Hash{}
	if prev.commits > 0 {
		var head []byte
		if err := s.db.QueryRow(`SELECT hash FROM journal_chain WHERE commit_seq = ?`, prev.commits).Scan(&head); err != nil {
			panic(err)
		}
		copy(prev.head[:], head)
	}
	s.n -= records
	s.last -= int64(records)
	s.chain = prev
	s.feed = s.newFeed() // the commit "failed": it was not published
}

// SetMaxSize caps the file of s at about size bytes (0: no cap but the disk's):
// a commit that would grow it past fails as on a full disk, with SQLite's
// own "database or disk is full", and nothing of it is written. Raising
// the cap is space coming back. Tests use it to fill the store
// deterministically.
func SetMaxSize(s *Store, size int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	pages := int64(1<<32 - 2) // SQLite's largest
	if size > 0 {
		var page int64
		if err := s.db.QueryRow(`PRAGMA page_size`).Scan(&page); err != nil {
			return fmt.Errorf("sqlite store: max size %d: %w", size, err)
		}
		pages = max(size/page, 1)
	}
	if _, err := s.db.Exec(`PRAGMA max_page_count = ` + strconv.FormatInt(pages, 10)); err != nil {
		return fmt.Errorf("sqlite store: max size %d: %w", size, err)
	}
	return nil
}

// Size is the size of s: the size of the file's pages in use, in bytes.
func Size(s *Store) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var pages, size int64
	if err := s.db.QueryRow(`SELECT page_count, page_size FROM pragma_page_count(), pragma_page_size()`).Scan(&pages, &size); err != nil {
		return 0, fmt.Errorf("sqlite store: size: %w", err)
	}
	return pages * size, nil
}

// FailBeforeDelete makes the compactions until restore stop with err once
// the archive holds the copy, before the store's delete: a crash there.
func FailBeforeDelete(err error) (restore func()) {
	beforeDelete = func() error { return err }
	return func() { beforeDelete = nil }
}

-- A commit's records are kept in a shorter encoding (store.EncodeBatch:
-- strings a batch repeats kept once, times as differences), about a
-- third of the canonical one the hash chain hashes. Batches written before
-- keep theirs, and read as they were. The schema is unchanged; the
-- version says that a build which cannot read the new batches must not
-- open the store.
INSERT OR REPLACE INTO meta (key, value) VALUES ('journal_encoding', 'batch');

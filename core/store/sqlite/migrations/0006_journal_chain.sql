-- The journal's hash chain (core/store Chain): one link per commit, the
-- SHA-256 of the previous link's hash and the commit's records and inputs
-- with their sequence numbers. A record or input changed, removed or
-- reordered after its commit no longer hashes to its link: `ordertwin
-- audit verify` finds it. record_sums and input_sums hold a CRC-32C per
-- record and per input, 4 bytes each in order: no protection, only a way
-- to name which one of a changed commit differs. Records and inputs
-- written before this migration are sealed in link 1 when the store is
-- first opened with it.
CREATE TABLE journal_chain (
    commit_seq   INTEGER PRIMARY KEY,
    first_record INTEGER NOT NULL,
    last_record  INTEGER NOT NULL,
    first_input  INTEGER NOT NULL,
    last_input   INTEGER NOT NULL,
    hash         BLOB    NOT NULL,
    record_sums  BLOB    NOT NULL,
    input_sums   BLOB    NOT NULL
);

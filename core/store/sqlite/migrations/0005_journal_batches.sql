-- Records committed together are kept as one row: their encoding
-- (core/store EncodeRecords). A row per record cost SQLite most of a
-- commit's time; a row per commit costs it almost nothing. Each record
-- keeps its own sequence number: a batch holds first_seq … last_seq, and
-- numbering runs on from the records of the journal table, which keeps
-- those written before this migration.
CREATE TABLE journal_batch (
    first_seq INTEGER PRIMARY KEY,
    last_seq  INTEGER NOT NULL,
    data      BLOB    NOT NULL
);

-- The leading bytes shelved bodies share (docs/architecture.md §7): a
-- component encodes the entities it shelves alike, each body beginning
-- with the same description of their types. A shelf row whose prefix is
-- a pid here keeps only what follows those bytes; 0: the whole body.
CREATE TABLE shelf_prefix (
    pid   INTEGER PRIMARY KEY,
    bytes BLOB NOT NULL
);
ALTER TABLE shelf ADD COLUMN prefix INTEGER NOT NULL DEFAULT 0;

-- Shelved bodies kept deflated (docs/architecture.md §7): a body whose
-- rest (after its prefix) is long and repeats itself, as an order's items
-- do, is kept compressed (DEFLATE, RFC 1951) when that saves enough;
-- deflated says so. Reads give the whole body back.
ALTER TABLE shelf ADD COLUMN deflated INTEGER NOT NULL DEFAULT 0;

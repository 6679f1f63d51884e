-- A pack of short docs of one kind squeezes to about a sixth (its docs
-- repeat their fields, ids and values): deflated says how its body is
-- kept, as the shelf table's column does (0 as it is, 1 DEFLATE, 2
-- Snappy); packs written before stay as they are.
ALTER TABLE shelf_pack ADD COLUMN deflated INTEGER NOT NULL DEFAULT 0;

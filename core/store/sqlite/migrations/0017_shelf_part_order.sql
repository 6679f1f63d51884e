-- A list of finished entities reads its page, not the whole shelf of its
-- kind (docs/architecture.md §7): each shelf_part row carries its doc's
-- creation number, indexed by kind like the shelf table's, so that the
-- docs of a kind are counted and ranged by creation without reading a
-- pack. The rows an older store holds get theirs from their packs as this
-- migration ends (partOrders, in sqlite.go).
ALTER TABLE shelf_part ADD COLUMN ord INTEGER;
CREATE INDEX shelf_part_order ON shelf_part (kind, ord);

-- A list of finished entities reads its page, not the whole shelf of its
-- kind (docs/architecture.md §7): each shelf_part row carries its doc's
-- creation number, indexed by kind like the shelf table's, and its party,
-- so that the docs of a kind (of a party) are counted and ranged by
-- creation without reading a pack. The rows an older store holds get
-- theirs from their packs as this migration ends (partOrders, in
-- shelfrange.go).
ALTER TABLE shelf_part ADD COLUMN ord INTEGER;
ALTER TABLE shelf_part ADD COLUMN party TEXT;
CREATE INDEX shelf_part_order ON shelf_part (kind, ord);
-- A doc's party is the customer its entity names on the wire: a resource
-- names none (TMF639), and the resources shelved before had their
-- order's customer.
UPDATE shelf SET party = '' WHERE kind = 'resource';

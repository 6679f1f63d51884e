-- The items of the shelved entities (docs/architecture.md §7): which
-- order, of kind, an item id belongs to, so that an event about an item
-- of an order that left memory still finds its order.
CREATE TABLE shelf_item (
    kind TEXT NOT NULL,
    item TEXT NOT NULL,
    id   TEXT NOT NULL,
    PRIMARY KEY (kind, item)
) WITHOUT ROWID;

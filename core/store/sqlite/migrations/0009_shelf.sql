-- The read models of finished entities that have left the components'
-- memory (docs/architecture.md §7): each as the APIs show it (JSON), by
-- kind and id; ord is its creation number, by which lists keep their
-- order; party the customer it belongs to.
CREATE TABLE shelf (
    kind  TEXT    NOT NULL,
    id    TEXT    NOT NULL,
    ord   INTEGER NOT NULL,
    party TEXT    NOT NULL,
    body  BLOB    NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX shelf_order ON shelf (kind, ord);

-- Small shelved docs kept many to a row (docs/architecture.md §7): the
-- docs of one kind a shelving keeps, each short (a resource, a service, a
-- product, a resource order), go together into one shelf_pack row, and
-- shelf_part says, for each kind and id, in which pack its latest doc is.
-- A doc of a kind and id is in the shelf or in a pack, not both; an entry
-- of a pack that shelf_part no longer names has been shelved again since,
-- and is left out.
CREATE TABLE shelf_pack (
    pack  INTEGER PRIMARY KEY,
    kind  TEXT    NOT NULL,
    body  BLOB    NOT NULL
);
CREATE INDEX shelf_pack_kind ON shelf_pack (kind, pack);
CREATE TABLE shelf_part (
    kind  TEXT    NOT NULL,
    id    TEXT    NOT NULL,
    pack  INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;

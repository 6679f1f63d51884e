-- The journal: every recorded transition and fact, in commit order.
CREATE TABLE journal (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL, -- virtual time, nanoseconds from T+0
    kind       TEXT    NOT NULL,
    entity     TEXT    NOT NULL,
    name       TEXT    NOT NULL DEFAULT '',
    system     TEXT    NOT NULL DEFAULT '',
    from_state TEXT    NOT NULL DEFAULT '',
    to_state   TEXT    NOT NULL DEFAULT '',
    event      TEXT    NOT NULL DEFAULT '',
    reason     TEXT    NOT NULL DEFAULT ''
);

-- An entity's history, in order.
CREATE INDEX journal_entity ON journal (entity, seq);

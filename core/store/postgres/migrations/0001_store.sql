-- The durable store in PostgreSQL (docs/architecture.md §7): the same
-- tables as the SQLite file's, as its latest migration leaves them.

-- Settings a restart must keep: the wall clock's start and scale, what
-- the store serves, the approval keys, the last write probe.
CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

-- The journal: the records of one commit are one row, their encoding
-- (core/store EncodeRecords), numbered first_seq … last_seq.
CREATE TABLE journal_batch (
    first_seq bigint PRIMARY KEY,
    last_seq  bigint NOT NULL,
    data      bytea  NOT NULL
);

-- The input log: every input that came from outside, as the engine took
-- it; a restart replays those taken after its snapshot (by before).
CREATE TABLE inputs (
    seq     bigint   PRIMARY KEY,
    before  bigint   NOT NULL, -- inputs the engine had handled when it took this one
    at      bigint   NOT NULL, -- virtual time, nanoseconds from T+0
    address smallint NOT NULL, -- the component it was for
    kind    text     NOT NULL, -- the message's type
    body    bytea    NOT NULL, -- the message, encoded
    origin  bytea              -- who gave it (core/store Origin), NULL for none
);
CREATE INDEX inputs_before ON inputs (before);

-- The journal's hash chain (core/store Chain): one link per commit.
CREATE TABLE journal_chain (
    commit_seq   bigint PRIMARY KEY,
    first_record bigint NOT NULL,
    last_record  bigint NOT NULL,
    first_input  bigint NOT NULL,
    last_input   bigint NOT NULL,
    hash         bytea  NOT NULL,
    record_sums  bytea  NOT NULL,
    input_sums   bytea  NOT NULL
);

-- The hub notifier's delivery cursors (core/events).
CREATE TABLE delivery_cursor (
    listener text   PRIMARY KEY,
    seq      bigint NOT NULL
);

-- Snapshots of a running system; the store keeps the latest two. A
-- snapshot's body is in snapshot_chunk, size bytes in all.
CREATE TABLE snapshot (
    inputs  bigint      PRIMARY KEY, -- inputs the engine had handled
    records bigint      NOT NULL,    -- journal records committed before it
    at      bigint      NOT NULL,    -- virtual time, nanoseconds from T+0
    taken   timestamptz NOT NULL,
    size    bigint      NOT NULL
);
CREATE TABLE snapshot_chunk (
    inputs bigint  NOT NULL, -- the snapshot's
    n      integer NOT NULL, -- the chunk's place in the body, from 0
    body   bytea   NOT NULL,
    PRIMARY KEY (inputs, n)
);

-- The read models of finished entities that left the components' memory,
-- and which entity each of their items belongs to.
CREATE TABLE shelf (
    kind  text   NOT NULL,
    id    text   NOT NULL,
    ord   bigint NOT NULL,
    party text   NOT NULL,
    body  bytea  NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX shelf_order ON shelf (kind, ord);
CREATE TABLE shelf_item (
    kind text NOT NULL,
    item text NOT NULL,
    id   text NOT NULL,
    PRIMARY KEY (kind, item)
);

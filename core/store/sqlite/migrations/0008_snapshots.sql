-- Snapshots of a running system (docs/architecture.md §2): a restart loads
-- the latest and replays only the inputs logged after it. The store keeps
-- the latest two. inputs and records say where in the input log and the
-- journal the snapshot stands.
CREATE TABLE snapshot (
    inputs  INTEGER PRIMARY KEY, -- inputs the engine had handled
    records INTEGER NOT NULL,    -- journal records committed before it
    at      INTEGER NOT NULL,    -- virtual time, nanoseconds from T+0
    taken   TEXT    NOT NULL,    -- wall time, RFC 3339
    body    BLOB    NOT NULL     -- the engine's encoding of the state
);

-- A restart reads the inputs logged after a snapshot by this.
CREATE INDEX inputs_before ON inputs (before);

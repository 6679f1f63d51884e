-- The input log: every input that came from outside (an API command), as
-- the engine took it. A restart replays them (docs/architecture.md §2).
CREATE TABLE inputs (
    seq     INTEGER PRIMARY KEY,
    before  INTEGER NOT NULL, -- inputs the engine had handled when it took this one
    at      INTEGER NOT NULL, -- virtual time, nanoseconds from T+0
    address INTEGER NOT NULL, -- the component it was for
    kind    TEXT    NOT NULL, -- the message's type
    body    BLOB    NOT NULL  -- the message, encoded
);

-- Settings a restart must keep: the wall clock's start and scale, what
-- the store serves.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- A snapshot's body is kept in chunks small enough to sit whole in a page
-- of the file (snapshotChunk bytes), not as one blob: SQLite assembles a
-- blob that spills over many pages into a buffer of its own, and the
-- driver copies it again, three copies of the whole state on each restart.
-- size is the body's length when its chunks are in snapshot_chunk; 0 for
-- a snapshot saved before, whose body is in snapshot.body.
ALTER TABLE snapshot ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
CREATE TABLE snapshot_chunk (
    inputs INTEGER NOT NULL, -- the snapshot's
    n      INTEGER NOT NULL, -- the chunk's place in the body, from 0
    body   BLOB    NOT NULL,
    PRIMARY KEY (inputs, n)
);

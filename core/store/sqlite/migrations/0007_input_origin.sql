-- Who gave each input (core/store Origin): the actor, its roles, the
-- request id, the source address and when it was taken, as canonical JSON;
-- NULL for the core's own inputs and for inputs logged before origins were
-- kept. The hash chain covers it.
ALTER TABLE inputs ADD COLUMN origin BLOB;

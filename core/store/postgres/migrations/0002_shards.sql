-- Shards and their leases (docs/architecture.md §7, "Scale-out"): a
-- deployment of several instances keeps here how many shards its orders
-- are spread over, and which epoch each shard's lease is at. The shards'
-- journals are stores of their own, in schemas of their own; these
-- tables are read in the schema of the cluster's URL.

-- How many shards the deployment has: fixed once the first instance
-- opens it (one row).
CREATE TABLE shard_cluster (
    one    boolean PRIMARY KEY DEFAULT true CHECK (one),
    shards integer NOT NULL CHECK (shards > 0)
);

-- Each shard's lease: the epoch goes up by one each time an instance
-- takes it (under the shard's advisory lock), so an owner that lost its
-- lock holds an epoch of the past.
CREATE TABLE shard_lease (
    shard integer PRIMARY KEY,
    epoch bigint  NOT NULL DEFAULT 0,
    owner text    NOT NULL DEFAULT '',
    taken timestamptz
);

-- The fence every commit of a shard's store runs in its transaction: it
-- fails (SQLSTATE OTF01) unless the lease is still at the writer's epoch,
-- and holds the lease row shared until the commit ends, so a takeover
-- (which updates the row) waits for a commit under way and then reads it.
CREATE FUNCTION ordertwin_fence(s integer, e bigint) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    have bigint;
BEGIN
    SELECT epoch INTO have FROM shard_lease WHERE shard = s FOR SHARE;
    IF have IS DISTINCT FROM e THEN
        RAISE EXCEPTION 'shard % is fenced: its lease is at epoch %, this writer holds epoch %', s, have, e
            USING ERRCODE = 'OTF01';
    END IF;
END
$$;

-- The allocation authority (docs/architecture.md §7, "Scale-out"): the
-- network resources every shard draws on, one row each, and the holder
-- (the resource order item) it is allocated to. Every instance allocates
-- here, under the rows' locks, so no resource is allocated twice.
CREATE TABLE allocation (
    pool     text NOT NULL, -- where the resources are: an OLT's ports, an area's VLANs
    resource text NOT NULL,
    holder   text,          -- NULL: free
    PRIMARY KEY (pool, resource)
);
-- A holder holds at most one resource of a pool: allocating again (a
-- retry, a replay after a takeover) finds the one it has.
CREATE UNIQUE INDEX allocation_holder ON allocation (pool, holder) WHERE holder IS NOT NULL;

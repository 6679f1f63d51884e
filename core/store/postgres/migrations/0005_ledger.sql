-- The ledger of the shards' twins (docs/architecture.md §7, "One
-- allocation authority"): each shard runs a twin of the whole network,
-- and takes here every slot it hands out (an OLT port, a P2P handoff, a
-- VLAN, a subnet, a CE router) and every unit of capacity a revalidation
-- holds for a site, so that no two shards hand out the same and none
-- hands out what another holds.

-- The slots held, by pool, the key of the call that took each, and the
-- capacity it counts in ('' for none: a VLAN, a subnet, a CE router).
CREATE TABLE ledger_slot (
    pool     text    NOT NULL,
    slot     integer NOT NULL,
    key      text    NOT NULL,
    capacity text    NOT NULL DEFAULT '',
    PRIMARY KEY (pool, slot)
);
CREATE INDEX ledger_slot_capacity ON ledger_slot (capacity) WHERE capacity <> '';

-- The units of capacity held since revalidation, by the site holding
-- each: its take uses it up.
CREATE TABLE ledger_hold (
    capacity text NOT NULL,
    holder   text NOT NULL,
    PRIMARY KEY (capacity, holder)
);

-- Every answer given, by the key of the call it answered and the pool
-- (a reserve may ask several: an area's line cards, in turn; a hold
-- asks 'hold ' and its capacity): a take's slot (-1: none was free), a
-- give's slot, a hold's 1 or -1. A key asked again is answered so,
-- whatever happened since: a shard's replay gets its run's answers.
CREATE TABLE ledger_answer (
    key  text    NOT NULL,
    pool text    NOT NULL,
    slot integer NOT NULL,
    PRIMARY KEY (key, pool)
);

-- The ledger replaces the allocation table of 0003 (a pool's resources
-- by holder), which no build wrote to.
DROP TABLE allocation;

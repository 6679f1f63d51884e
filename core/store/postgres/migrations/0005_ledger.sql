-- The ledger of the shards' twins (docs/architecture.md §7, "One
-- allocation authority"): each shard runs a twin of the whole network,
-- and takes here every slot it hands out (an OLT port, a P2P handoff, a
-- VLAN, a subnet, a CE router) and every unit of capacity a revalidation
-- holds for a site, so that no two shards hand out the same and none
-- hands out what another holds. Each call is one statement: one of the
-- functions below.

-- The slots held, by pool, the key of the call that took each, and the
-- capacity it counts in ('' for none: a VLAN, a subnet, a CE router).
CREATE TABLE ledger_slot (
    pool     text    NOT NULL,
    slot     integer NOT NULL,
    key      text    NOT NULL,
    capacity text    NOT NULL DEFAULT '',
    PRIMARY KEY (pool, slot)
);
CREATE INDEX ledger_slot_capacity ON ledger_slot (capacity);

-- Each pool asked, and its next: no slot below it is free. A take reads
-- it under the row's lock (the takes of one pool one after the other) and
-- looks for a free slot from there; a give lowers it.
CREATE TABLE ledger_pool (
    pool text    PRIMARY KEY,
    next integer NOT NULL DEFAULT 0
);

-- The units of capacity held since revalidation, by the site holding
-- each: its take uses it up.
CREATE TABLE ledger_hold (
    capacity text NOT NULL,
    holder   text NOT NULL,
    PRIMARY KEY (capacity, holder)
);

-- Every answer given, by the key of the call and what it asked (a take's
-- capacity, or its pool when it counts in none; 'hold ' and a hold's
-- capacity; 'give ' and a give's pool): the pool taken from and the slot
-- (-1: none was free; a hold's 1 or -1). A key asked again is answered
-- so, whatever happened since: a shard's replay gets its run's answers.
CREATE TABLE ledger_answer (
    key   text    NOT NULL,
    asked text    NOT NULL,
    pool  text    NOT NULL DEFAULT '',
    slot  integer NOT NULL,
    PRIMARY KEY (key, asked)
);

-- The ledger replaces the allocation table of 0003 (a pool's resources
-- by holder), which no build wrote to.
DROP TABLE allocation;

-- The capacity's lock, until the transaction ends: the calls on one
-- capacity count its units one after the other.
CREATE FUNCTION ordertwin_ledger_lock(cap text) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtext('ordertwin ledger ' || current_schema()), hashtext(cap))
$$;

-- The capacity's units neither taken nor held.
CREATE FUNCTION ordertwin_ledger_left(cap text, units integer) RETURNS bigint
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT units - (SELECT count(*) FROM ledger_slot WHERE capacity = cap) - (SELECT count(*) FROM ledger_hold WHERE capacity = cap)
$$;

-- A take: for key, the lowest free slot of the first of pools (sizes,
-- and the occupied slots as pairs of a pool's index from 0 and a slot)
-- that has one; when cap is set, only with a unit of it: the one holder
-- holds (used up) or one no holder holds.
CREATE FUNCTION ordertwin_ledger_take(k text, asked text, pools text[], sizes integer[], occ_pool integer[], occ_slot integer[],
    cap text, units integer, holder_ text, OUT taken text, OUT slot integer)
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    held boolean := false;
    occ integer[];
    s integer;
    nx integer;
BEGIN
    IF cap <> '' THEN
        PERFORM ordertwin_ledger_lock(cap);
    END IF;
    SELECT a.pool, a.slot INTO taken, slot FROM ledger_answer a WHERE a.key = k AND a.asked = ordertwin_ledger_take.asked;
    IF FOUND THEN
        RETURN;
    END IF;
    taken := '';
    slot := -1;
    IF cap <> '' THEN
        held := EXISTS (SELECT 1 FROM ledger_hold h WHERE h.capacity = cap AND h.holder = holder_);
    END IF;
    IF cap = '' OR held OR ordertwin_ledger_left(cap, units) > 0 THEN
        FOR i IN 1 .. coalesce(array_length(pools, 1), 0) LOOP
            occ := ARRAY(SELECT o.q FROM unnest(occ_pool, occ_slot) o(p, q) WHERE o.p = i - 1);
            INSERT INTO ledger_pool (pool) VALUES (pools[i]) ON CONFLICT DO NOTHING;
            SELECT p.next INTO nx FROM ledger_pool p WHERE p.pool = pools[i] FOR UPDATE;
            -- The first free from next, in the series' order (an ORDER BY
            -- would sort, so test, every slot after it).
            SELECT g INTO s FROM generate_series(nx, sizes[i] - 1) g
            WHERE g <> ALL (occ) AND NOT EXISTS (SELECT 1 FROM ledger_slot l WHERE l.pool = pools[i] AND l.slot = g)
            LIMIT 1;
            IF FOUND THEN
                INSERT INTO ledger_slot (pool, slot, key, capacity) VALUES (pools[i], s, k, cap);
                UPDATE ledger_pool p SET next = s + 1 WHERE p.pool = pools[i];
                taken := pools[i];
                slot := s;
                EXIT;
            END IF;
            UPDATE ledger_pool p SET next = greatest(nx, sizes[i]) WHERE p.pool = pools[i];
        END LOOP;
    END IF;
    IF held AND slot >= 0 THEN
        DELETE FROM ledger_hold h WHERE h.capacity = cap AND h.holder = holder_;
    END IF;
    INSERT INTO ledger_answer (key, asked, pool, slot) VALUES (k, ordertwin_ledger_take.asked, taken, slot);
END
$$;

-- A hold: a unit of cap for holder, if it holds none and one is left.
CREATE FUNCTION ordertwin_ledger_hold(k text, cap text, units integer, holder_ text) RETURNS boolean
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    answer integer;
    ok boolean;
BEGIN
    PERFORM ordertwin_ledger_lock(cap);
    SELECT a.slot INTO answer FROM ledger_answer a WHERE a.key = k AND a.asked = 'hold ' || cap;
    IF FOUND THEN
        RETURN answer > 0;
    END IF;
    ok := EXISTS (SELECT 1 FROM ledger_hold h WHERE h.capacity = cap AND h.holder = holder_);
    IF NOT ok AND ordertwin_ledger_left(cap, units) > 0 THEN
        INSERT INTO ledger_hold (capacity, holder) VALUES (cap, holder_);
        ok := true;
    END IF;
    INSERT INTO ledger_answer (key, asked, slot) VALUES (k, 'hold ' || cap, CASE WHEN ok THEN 1 ELSE -1 END);
    RETURN ok;
END
$$;

-- A give: slot of pool freed, once per key.
CREATE FUNCTION ordertwin_ledger_give(k text, pool_ text, slot_ integer) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO ledger_answer (key, asked, pool, slot) VALUES (k, 'give ' || pool_, pool_, slot_) ON CONFLICT DO NOTHING;
    IF FOUND THEN
        DELETE FROM ledger_slot l WHERE l.pool = pool_ AND l.slot = slot_;
        UPDATE ledger_pool p SET next = least(p.next, slot_) WHERE p.pool = pool_;
    END IF;
END
$$;

-- The store's holder, the server serving it (Hold): each server that
-- opens the store held takes the next epoch, and every commit of a held
-- store checks, in its transaction, that the epoch is still the one its
-- server took. A server whose hold lapsed (its connection to the database
-- ended, say at a restart of the database) while another took the store
-- then writes nothing more (SQLSTATE OTH01), instead of two servers
-- writing one journal.
CREATE TABLE store_hold (epoch bigint NOT NULL);
INSERT INTO store_hold (epoch) VALUES (0);

CREATE FUNCTION ordertwin_held(e bigint) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    have bigint;
BEGIN
    SELECT epoch INTO have FROM store_hold FOR SHARE;
    IF have IS DISTINCT FROM e THEN
        RAISE EXCEPTION 'the store was taken by another server (its hold is at epoch %, this server''s at %)', have, e
            USING ERRCODE = 'OTH01';
    END IF;
END
$$;

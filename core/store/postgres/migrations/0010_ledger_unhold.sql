-- A unit of capacity held since revalidation is given back when its site
-- ends without being built (cancelled, failed, rejected), not only used
-- up by the take of the site's bearer: an unhold, once per key (asked
-- 'unhold ' and the capacity in ledger_answer, as a give is).
CREATE FUNCTION ordertwin_ledger_unhold(k text, cap text, holder_ text) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM ordertwin_ledger_lock(cap);
    INSERT INTO ledger_answer (key, asked, slot) VALUES (k, 'unhold ' || cap, 1) ON CONFLICT DO NOTHING;
    IF FOUND THEN
        DELETE FROM ledger_hold h WHERE h.capacity = cap AND h.holder = holder_;
    END IF;
END
$$;

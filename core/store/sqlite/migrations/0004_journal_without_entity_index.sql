-- The journal is written far more than an entity's history is read: the
-- index on (entity, seq) cost about a third of every commit's time. An
-- entity's history (Store.History) is now a scan of the journal.
DROP INDEX journal_entity;

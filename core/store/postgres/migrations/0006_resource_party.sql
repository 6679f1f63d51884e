-- A shelved doc's party is the customer its entity names on the wire, by
-- which a caller bound to a party lists its own (docs/architecture.md §7):
-- a resource names none (TMF639), and the resources shelved before had
-- their order's customer.
UPDATE shelf SET party = '' WHERE kind = 'resource';

-- The deployment's secret: its instances sign the requests they forward
-- to one another with it (an HMAC of the request), so that a client
-- cannot pass for an instance. Made by the first instance that asks.
ALTER TABLE shard_cluster ADD COLUMN secret bytea;

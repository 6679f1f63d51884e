-- A deployment's T+0 (docs/architecture.md §7, "Scale-out"): every
-- shard's engine runs on one clock, started when the first instance
-- serves the deployment (or at the time its operator gave).
ALTER TABLE shard_cluster ADD COLUMN start timestamptz;

-- What a deployment serves, as its first instance gave it (the scenario,
-- and the scale, retention and approvals): an instance started with other
-- settings is refused as it starts, not when it first takes a shard
-- (each shard's store refuses it then, and its lease was let go for ever
-- while the instance counted as a member).
ALTER TABLE shard_cluster ADD COLUMN settings text;

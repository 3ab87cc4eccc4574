-- write_group_lock finds its rows by primary key, however small the tables were when it was planned.
--
-- 0012 made it keep one generic plan per connection (force_generic_plan), built the first time the
-- connection runs it. Built while a table is nearly empty (a new database, the first redemptions), the
-- cheapest plan for "id = any(...)" is a sequential scan, and the connection keeps it as the table
-- grows, until autovacuum next analyzes that table: in the redemption benchmark the whole redemptions
-- table was read for every group of redeems, two and a half million rows in ten seconds. Every query
-- in the function is a lookup by key, so sequential scans are never what it wants.

alter function write_group_lock(jsonb) set enable_seqscan = off;

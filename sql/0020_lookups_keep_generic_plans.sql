-- The principal and balance lookups of 0014 keep one plan per connection instead of planning at
-- every call.
--
-- active_principals and volunteer_ledgers take a batch of ids as one uuid[]. PostgreSQL cannot see
-- how many elements a parameter array holds and assumes ten, so the plan it would cache looked ten
-- times dearer than a plan made for the actual one-element batch, and it made a fresh plan (a
-- four-table join) at every call: planning was most of a balance read's cost in the database, about
-- four fifths of it. Both functions only look rows up by key with sequential scans off, so the
-- generic plan is the right one whatever the array holds.
alter function active_principals(text, uuid[]) set plan_cache_mode = force_generic_plan;
alter function volunteer_ledgers(uuid[]) set plan_cache_mode = force_generic_plan;

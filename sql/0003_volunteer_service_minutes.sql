-- Approved service minutes per volunteer, kept beside the volunteer so a balance read is one lookup.
-- Hours are a service record, not currency: never spent, never expiring; star levels derive from them.
alter table volunteers add column service_minutes bigint not null default 0 check (service_minutes >= 0);

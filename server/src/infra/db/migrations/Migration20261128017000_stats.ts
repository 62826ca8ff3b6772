import { Migration } from '@mikro-orm/migrations';

/**
 * Summary counters for the analysts' statistics (ADR 0070): statement-level triggers on the
 * tables where activity lands fold each change into per-period counters (day, ISO week, month,
 * year; Europe/Paris calendar), so a statistics query reads a few hundred rows, never the
 * million-row tables. `stats_rebuild()` recomputes everything from the source tables (backfill
 * below; an operator can call it again after a bulk load made with triggers disabled).
 */
export class Migration20261128017000_stats extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create function stats_period_start(grain text, at timestamptz) returns date
  language sql immutable parallel safe
  as $$ select date_trunc(grain, at at time zone 'Europe/Paris')::date $$`);
    this.addSql(`create function stats_delay_bucket(seconds double precision) returns int
  language sql immutable parallel safe
  as $$ select (case
    when s < 600 then floor(s / 60) * 60
    when s < 3600 then floor(s / 300) * 300
    when s < 86400 then floor(s / 3600) * 3600
    when s < 604800 then floor(s / 21600) * 21600
    when s < 5184000 then floor(s / 86400) * 86400
    else 5184000 end)::int
  from (select greatest(coalesce(seconds, 0), 0) as s) x $$`);
    this.addSql(`create type stats_delta as (metric text, at timestamptz, facility_id uuid, modality text, bucket int, delta int)`);
    this.addSql(`create table stats_counter (
  metric text not null,
  grain text not null check (grain in ('day', 'week', 'month', 'year')),
  period_start date not null,
  facility_id uuid not null default '00000000-0000-0000-0000-000000000000',
  modality text not null default '',
  bucket int not null default -1,
  shard smallint not null default 0,
  value bigint not null,
  constraint stats_counter_pkey primary key (metric, grain, period_start, facility_id, modality, bucket, shard)
) with (fillfactor = 70)`);
    this.addSql(`create function stats_bump(deltas stats_delta[]) returns void
  language sql
  as $$
  insert into stats_counter as c (metric, grain, period_start, facility_id, modality, bucket, shard, value)
  select d.metric, g.grain, stats_period_start(g.grain, d.at),
         coalesce(d.facility_id, '00000000-0000-0000-0000-000000000000'), coalesce(d.modality, ''), coalesce(d.bucket, -1),
         case when d.facility_id is null and d.modality is null then pg_backend_pid() % 4 else 0 end,
         sum(d.delta)
  from unnest(deltas) d cross join (values ('day'), ('week'), ('month'), ('year')) g(grain)
  where d.at is not null
  group by 1, 2, 3, 4, 5, 6, 7
  having sum(d.delta) <> 0
  order by 1, 2, 3, 4, 5, 6, 7
  on conflict (metric, grain, period_start, facility_id, modality, bucket, shard)
  do update set value = c.value + excluded.value
  $$`);
    this.addSql(`create function stats_exam_deltas(published_at timestamptz, facility_id uuid, modalities text[], sign int) returns setof stats_delta
  language sql immutable
  as $$
  select ('exams_published', published_at, facility_id, null, null, sign)::stats_delta
  union all
  select ('exams_published_by_modality', published_at, facility_id, m, null, sign)::stats_delta
  from (select distinct m from unnest(case when cardinality(modalities) > 0 then modalities else array['OT'] end) m) x
  $$`);
    this.addSql(`create function stats_notification_deltas(created_at timestamptz, read_at timestamptz, sign int) returns setof stats_delta
  language sql immutable
  as $$
  select ('notifications_sent', created_at, null, null, null, sign)::stats_delta
  union all
  select ('notifications_read', created_at, null, null, null, sign)::stats_delta where read_at is not null
  union all
  select ('notification_read_delay', created_at, null, null, stats_delay_bucket(extract(epoch from read_at - created_at)), sign)::stats_delta
  where read_at is not null
  $$`);
    this.addSql(`create function stats_outbox_deltas(created_at timestamptz, sent_at timestamptz, failed_at timestamptz, attempts int, sign int) returns setof stats_delta
  language sql immutable
  as $$
  select ('emails_queued', created_at, null, null, null, sign)::stats_delta
  union all
  select ('emails_sent', created_at, null, null, null, sign)::stats_delta where sent_at is not null
  union all
  select ('emails_failed', created_at, null, null, null, sign)::stats_delta where failed_at is not null
  union all
  select ('emails_retried', created_at, null, null, null, sign)::stats_delta
  where attempts > (case when sent_at is not null then 1 else 0 end)
  $$`);
    this.addSql(`create function stats_share_deltas(created_at timestamptz, open_count int, revoked_at timestamptz, sign int) returns setof stats_delta
  language sql immutable
  as $$
  select ('shares_created', created_at, null, null, null, sign)::stats_delta
  union all
  select ('shares_opened', created_at, null, null, null, sign)::stats_delta where open_count > 0
  union all
  select ('shares_revoked', created_at, null, null, null, sign)::stats_delta where revoked_at is not null
  union all
  select ('share_openings', created_at, null, null, least(open_count, 1000000), sign)::stats_delta
  $$`);
    this.addSql(`create table stats_exam_first_open (
  exam_id uuid not null,
  facility_id uuid not null,
  published_at timestamptz not null,
  opened_at timestamptz not null,
  constraint stats_exam_first_open_pkey primary key (exam_id),
  constraint stats_exam_first_open_exam_id_foreign foreign key (exam_id) references exam (id) on delete cascade
)`);
    this.addSql(`create function stats_first_open_deltas(facility_id uuid, published_at timestamptz, opened_at timestamptz, sign int) returns setof stats_delta
  language sql immutable
  as $$
  select ('first_opening', published_at, facility_id, null, stats_delay_bucket(extract(epoch from opened_at - published_at)), sign)::stats_delta
  $$`);
    this.addSql(`create table stats_active_physician (
  grain text not null,
  period_start date not null,
  user_id uuid not null,
  constraint stats_active_physician_pkey primary key (grain, period_start, user_id)
)`);
    this.addSql(`create function stats_note_activity(p_user uuid, p_at timestamptz) returns void
  language sql
  as $$
  with added as (
    insert into stats_active_physician (grain, period_start, user_id)
    select g.grain, stats_period_start(g.grain, p_at), p_user
    from (values ('day'), ('week'), ('month'), ('year')) g(grain)
    where exists (select 1 from app_user u where u.id = p_user and u.role = 'PHYSICIAN')
    on conflict do nothing
    returning grain, period_start
  )
  insert into stats_counter as c (metric, grain, period_start, shard, value)
  select 'active_physicians', grain, period_start, pg_backend_pid() % 4, count(*) from added
  group by 1, 2, 3, 4 order by 1, 2, 3, 4
  on conflict (metric, grain, period_start, facility_id, modality, bucket, shard)
  do update set value = c.value + excluded.value
  $$`);
    this.addSql(`create function stats_on_exam() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    perform stats_bump(array(select d from new_rows r, stats_exam_deltas(r.published_at, r.facility_id, r.modalities, 1) d));
  elsif tg_op = 'UPDATE' then
    perform stats_bump(array(
      select d from new_rows r, stats_exam_deltas(r.published_at, r.facility_id, r.modalities, 1) d
      union all
      select d from old_rows r, stats_exam_deltas(r.published_at, r.facility_id, r.modalities, -1) d));
  else
    perform stats_bump(array(select d from old_rows r, stats_exam_deltas(r.published_at, r.facility_id, r.modalities, -1) d));
  end if;
  return null;
end $$`);
    this.addSql(`create function stats_on_notification() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    perform stats_bump(array(select d from new_rows r, stats_notification_deltas(r.created_at, r.read_at, 1) d));
  elsif tg_op = 'UPDATE' then
    perform stats_bump(array(
      select d from new_rows r, stats_notification_deltas(r.created_at, r.read_at, 1) d
      union all
      select d from old_rows r, stats_notification_deltas(r.created_at, r.read_at, -1) d));
  else
    perform stats_bump(array(select d from old_rows r, stats_notification_deltas(r.created_at, r.read_at, -1) d));
  end if;
  return null;
end $$`);
    this.addSql(`create function stats_on_outbox_message() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    perform stats_bump(array(select d from new_rows r, stats_outbox_deltas(r.created_at, r.sent_at, r.failed_at, r.attempts, 1) d));
  elsif tg_op = 'UPDATE' then
    perform stats_bump(array(
      select d from new_rows r, stats_outbox_deltas(r.created_at, r.sent_at, r.failed_at, r.attempts, 1) d
      union all
      select d from old_rows r, stats_outbox_deltas(r.created_at, r.sent_at, r.failed_at, r.attempts, -1) d));
  else
    perform stats_bump(array(select d from old_rows r, stats_outbox_deltas(r.created_at, r.sent_at, r.failed_at, r.attempts, -1) d));
  end if;
  return null;
end $$`);
    this.addSql(`create function stats_on_share() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    perform stats_bump(array(select d from new_rows r, stats_share_deltas(r.created_at, r.open_count, r.revoked_at, 1) d));
  elsif tg_op = 'UPDATE' then
    perform stats_bump(array(
      select d from new_rows r, stats_share_deltas(r.created_at, r.open_count, r.revoked_at, 1) d
      union all
      select d from old_rows r, stats_share_deltas(r.created_at, r.open_count, r.revoked_at, -1) d));
  else
    perform stats_bump(array(select d from old_rows r, stats_share_deltas(r.created_at, r.open_count, r.revoked_at, -1) d));
  end if;
  return null;
end $$`);
    this.addSql(`create function stats_on_first_open() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    perform stats_bump(array(select d from new_rows r, stats_first_open_deltas(r.facility_id, r.published_at, r.opened_at, 1) d));
  elsif tg_op = 'UPDATE' then
    perform stats_bump(array(
      select d from new_rows r, stats_first_open_deltas(r.facility_id, r.published_at, r.opened_at, 1) d
      union all
      select d from old_rows r, stats_first_open_deltas(r.facility_id, r.published_at, r.opened_at, -1) d));
  else
    perform stats_bump(array(select d from old_rows r, stats_first_open_deltas(r.facility_id, r.published_at, r.opened_at, -1) d));
  end if;
  return null;
end $$`);
    this.addSql(`create function stats_on_exam_access() returns trigger language plpgsql as $$
begin
  insert into stats_exam_first_open as f (exam_id, facility_id, published_at, opened_at)
  select e.id, e.facility_id, e.published_at, n.opened_at
  from (select exam_id, min(first_opened_at) as opened_at from new_rows
        where first_opened_at is not null and physician_id is not null group by exam_id) n
  join exam e on e.id = n.exam_id
  order by e.id
  on conflict (exam_id) do update set opened_at = excluded.opened_at where excluded.opened_at < f.opened_at;
  return null;
end $$`);
    this.addSql(`create function stats_on_session() returns trigger language plpgsql as $$
begin
  perform stats_note_activity(new.user_id, new.last_seen_at);
  return null;
end $$`);
    this.addSql(`create trigger stats_exam_insert after insert on exam referencing new table as new_rows for each statement execute function stats_on_exam()`);
    this.addSql(`create trigger stats_exam_update after update on exam referencing old table as old_rows new table as new_rows for each statement execute function stats_on_exam()`);
    this.addSql(`create trigger stats_exam_delete after delete on exam referencing old table as old_rows for each statement execute function stats_on_exam()`);
    this.addSql(`create trigger stats_notification_insert after insert on notification referencing new table as new_rows for each statement execute function stats_on_notification()`);
    this.addSql(`create trigger stats_notification_update after update on notification referencing old table as old_rows new table as new_rows for each statement execute function stats_on_notification()`);
    this.addSql(`create trigger stats_notification_delete after delete on notification referencing old table as old_rows for each statement execute function stats_on_notification()`);
    this.addSql(`create trigger stats_outbox_message_insert after insert on outbox_message referencing new table as new_rows for each statement execute function stats_on_outbox_message()`);
    this.addSql(`create trigger stats_outbox_message_update after update on outbox_message referencing old table as old_rows new table as new_rows for each statement execute function stats_on_outbox_message()`);
    this.addSql(`create trigger stats_outbox_message_delete after delete on outbox_message referencing old table as old_rows for each statement execute function stats_on_outbox_message()`);
    this.addSql(`create trigger stats_share_insert after insert on share referencing new table as new_rows for each statement execute function stats_on_share()`);
    this.addSql(`create trigger stats_share_update after update on share referencing old table as old_rows new table as new_rows for each statement execute function stats_on_share()`);
    this.addSql(`create trigger stats_share_delete after delete on share referencing old table as old_rows for each statement execute function stats_on_share()`);
    this.addSql(`create trigger stats_stats_exam_first_open_insert after insert on stats_exam_first_open referencing new table as new_rows for each statement execute function stats_on_first_open()`);
    this.addSql(`create trigger stats_stats_exam_first_open_update after update on stats_exam_first_open referencing old table as old_rows new table as new_rows for each statement execute function stats_on_first_open()`);
    this.addSql(`create trigger stats_stats_exam_first_open_delete after delete on stats_exam_first_open referencing old table as old_rows for each statement execute function stats_on_first_open()`);
    this.addSql(`create trigger stats_exam_access_insert after insert on exam_access referencing new table as new_rows for each statement execute function stats_on_exam_access()`);
    this.addSql(`create trigger stats_exam_access_update after update on exam_access referencing new table as new_rows for each statement execute function stats_on_exam_access()`);
    this.addSql(`create trigger stats_session_insert after insert on session for each row execute function stats_on_session()`);
    this.addSql(`create trigger stats_session_update after update of last_seen_at on session for each row when (stats_period_start('day', old.last_seen_at) is distinct from stats_period_start('day', new.last_seen_at)) execute function stats_on_session()`);
    this.addSql(`create index share_stats_unrevoked_index on share (created_at, expires_at) where revoked_at is null`);
    this.addSql(`create function stats_rebuild() returns void language plpgsql as $$
declare
  m date;
begin
  truncate stats_counter, stats_active_physician, stats_exam_first_open;
  for m in select distinct stats_period_start('month', published_at) from exam loop
    perform stats_bump(array(select d from exam r, stats_exam_deltas(r.published_at, r.facility_id, r.modalities, 1) d
                             where stats_period_start('month', r.published_at) = m));
  end loop;
  for m in select distinct stats_period_start('month', created_at) from notification loop
    perform stats_bump(array(select d from notification r, stats_notification_deltas(r.created_at, r.read_at, 1) d
                             where stats_period_start('month', r.created_at) = m));
  end loop;
  for m in select distinct stats_period_start('month', created_at) from outbox_message loop
    perform stats_bump(array(select d from outbox_message r, stats_outbox_deltas(r.created_at, r.sent_at, r.failed_at, r.attempts, 1) d
                             where stats_period_start('month', r.created_at) = m));
  end loop;
  for m in select distinct stats_period_start('month', created_at) from share loop
    perform stats_bump(array(select d from share r, stats_share_deltas(r.created_at, r.open_count, r.revoked_at, 1) d
                             where stats_period_start('month', r.created_at) = m));
  end loop;
  insert into stats_exam_first_open (exam_id, facility_id, published_at, opened_at)
  select e.id, e.facility_id, e.published_at, a.opened_at
  from (select exam_id, min(first_opened_at) as opened_at from exam_access
        where first_opened_at is not null and physician_id is not null group by exam_id) a
  join exam e on e.id = a.exam_id;
  perform stats_note_activity(s.user_id, s.at)
  from (select user_id, created_at as at from session union select user_id, last_seen_at from session) s;
end $$`);
    this.addSql(`select stats_rebuild()`);
  }
}

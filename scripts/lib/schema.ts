/**
 * The schema in one view: a normalised text rendering of everything the migrations create in the
 * public schema (tables with their columns and constraints, indexes, sequences, views, types,
 * functions, triggers), built from PostgreSQL's catalogue with its own pg_get_*def functions.
 *
 * Reading the catalogue through SQL, rather than running pg_dump, works against any server the
 * service runs on (the local one, a testcontainers one, the embedded PGlite) with no client binary
 * whose major version has to match the server's. Every list is sorted by name, and nothing that
 * depends on the database it was read from (owners, grants, oids, the database's name) is printed,
 * so the same migrations give the same text on every server.
 */

/** Runs one read-only SQL statement and returns its rows. */
export type Query = <R>(text: string) => Promise<R[]>;

export const snapshotPath = 'docs/schema.sql';
export const snapshotCommand = 'npm run schema:snapshot';

const header = `-- The database schema as the migrations in sql/ leave it, in one file: tables, columns, constraints,
-- indexes, sequences, functions and triggers. Generated from the catalogue of a freshly migrated
-- database by \`${snapshotCommand}\`; do not edit it by hand. \`npm test\` fails when it no longer
-- matches what the migrations produce. Read sql/ for why each piece exists; read this for what is there.
`;

interface Column {
  table_name: string;
  name: string;
  type: string;
  not_null: boolean;
  default_expr: string | null;
  identity: string;
  generated: string;
}

interface Constraint {
  table_name: string;
  name: string;
  kind: string;
  definition: string;
}

interface Named {
  name: string;
  definition: string;
}

/** Line endings and trailing blanks normalised, so the rendering of a definition is stable. */
function tidy(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/\s+$/, ''))
    .join('\n')
    .trim();
}

const constraintOrder: Record<string, number> = { p: 0, u: 1, x: 2, f: 3, c: 4 };

export async function schemaSnapshot(query: Query): Promise<string> {
  const out: string[] = [header];

  const migrations = await query<{ name: string }>(`select name from schema_migrations order by name`);
  out.push('-- Migrations applied:', ...migrations.map((m) => `--   ${m.name}`), '');

  const extensions = await query<{ name: string }>(`select extname as name from pg_extension where extname <> 'plpgsql' order by extname`);
  if (extensions.length > 0) out.push(...extensions.map((e) => `create extension ${e.name};`), '');

  const types = await query<Named>(`
    select t.typname as name,
           case t.typtype
             when 'e' then 'create type ' || t.typname || ' as enum (' ||
               (select string_agg(quote_literal(e.enumlabel), ', ' order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid) || ');'
             when 'd' then 'create domain ' || t.typname || ' as ' || format_type(t.typbasetype, t.typtypmod) ||
               case when t.typnotnull then ' not null' else '' end ||
               coalesce(' default ' || t.typdefault, '') ||
               coalesce((select string_agg(' constraint ' || c.conname || ' ' || pg_get_constraintdef(c.oid), '' order by c.conname)
                           from pg_constraint c where c.contypid = t.oid), '') || ';'
           end as definition
      from pg_type t
      join pg_namespace n on n.oid = t.typnamespace
     where n.nspname = 'public' and t.typtype in ('e', 'd')
       and not exists (select 1 from pg_depend d where d.objid = t.oid and d.deptype = 'e')
     order by t.typname`);
  if (types.length > 0) out.push('-- Types', ...types.map((t) => t.definition), '');

  const sequences = await query<Named>(`
    select c.relname as name,
           'create sequence ' || c.relname || ' as ' || format_type(s.seqtypid, null) ||
           ' increment by ' || s.seqincrement || ' minvalue ' || s.seqmin || ' maxvalue ' || s.seqmax ||
           ' start with ' || s.seqstart || case when s.seqcycle then ' cycle' else '' end || ';' as definition
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      join pg_sequence s on s.seqrelid = c.oid
     where n.nspname = 'public' and c.relkind = 'S'
       -- Identity columns own their sequences; the column says "generated ... as identity".
       and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'i')
     order by c.relname`);
  if (sequences.length > 0) out.push('-- Sequences', ...sequences.map((s) => s.definition), '');

  const tables = await query<{ name: string }>(`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p') order by c.relname`);
  const columns = await query<Column>(`
    select c.relname as table_name, a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
           a.attnotnull as not_null, pg_get_expr(d.adbin, d.adrelid) as default_expr,
           a.attidentity as identity, a.attgenerated as generated
      from pg_attribute a
      join pg_class c on c.oid = a.attrelid
      join pg_namespace n on n.oid = c.relnamespace
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
     where n.nspname = 'public' and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
     order by c.relname, a.attnum`);
  const constraints = await query<Constraint>(`
    select c.relname as table_name, k.conname as name, k.contype as kind, pg_get_constraintdef(k.oid) as definition
      from pg_constraint k
      join pg_class c on c.oid = k.conrelid
      join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p') and k.contype in ('p', 'u', 'x', 'f', 'c')
     order by c.relname, k.conname`);
  out.push('-- Tables');
  for (const table of tables) {
    const lines: string[] = [];
    for (const column of columns.filter((c) => c.table_name === table.name)) {
      let line = `  ${column.name} ${column.type}`;
      if (column.identity === 'a') line += ' generated always as identity';
      else if (column.identity === 'd') line += ' generated by default as identity';
      else if (column.generated === 's') line += ` generated always as (${column.default_expr}) stored`;
      else if (column.default_expr !== null) line += ` default ${column.default_expr}`;
      if (column.not_null) line += ' not null';
      lines.push(line);
    }
    const own = constraints
      .filter((k) => k.table_name === table.name)
      .sort((a, b) => (constraintOrder[a.kind] ?? 9) - (constraintOrder[b.kind] ?? 9) || a.name.localeCompare(b.name));
    for (const k of own) lines.push(`  constraint ${k.name} ${tidy(k.definition)}`);
    out.push(`create table ${table.name} (\n${lines.join(',\n')}\n);\n`);
  }

  const views = await query<Named & { kind: string }>(`
    select c.relname as name, c.relkind as kind, pg_get_viewdef(c.oid, true) as definition
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('v', 'm') order by c.relname`);
  if (views.length > 0) {
    out.push('-- Views');
    for (const v of views) out.push(`create ${v.kind === 'm' ? 'materialized view' : 'view'} ${v.name} as\n${tidy(v.definition).replace(/;$/, '')};\n`);
  }

  // Indexes that back a primary key, unique or exclusion constraint are already said by the constraint.
  const indexes = await query<Named>(`
    select i.relname as name, pg_get_indexdef(i.oid) as definition
      from pg_index x
      join pg_class i on i.oid = x.indexrelid
      join pg_class t on t.oid = x.indrelid
      join pg_namespace n on n.oid = t.relnamespace
     where n.nspname = 'public'
       and not exists (select 1 from pg_constraint k where k.conindid = x.indexrelid and k.contype in ('p', 'u', 'x'))
     order by t.relname, i.relname`);
  out.push('-- Indexes', ...indexes.map((i) => `${tidy(i.definition)};`), '');

  const functions = await query<Named>(`
    select p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' as name, pg_get_functiondef(p.oid) as definition
      from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'public' and p.prokind in ('f', 'p')
       and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
     order by p.proname, pg_get_function_identity_arguments(p.oid)`);
  out.push('-- Functions');
  for (const f of functions) out.push(`${tidy(f.definition)};\n`);

  // Internal triggers (those behind foreign keys) are said by the constraints.
  const triggers = await query<Named & { table_name: string; enabled: string }>(`
    select t.tgname as name, c.relname as table_name, t.tgenabled as enabled, pg_get_triggerdef(t.oid) as definition
      from pg_trigger t
      join pg_class c on c.oid = t.tgrelid
      join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and not t.tgisinternal
     order by c.relname, t.tgname`);
  const enabled: Record<string, string> = { A: 'enable always', R: 'enable replica', D: 'disable' };
  out.push('-- Triggers');
  for (const t of triggers) {
    out.push(`${tidy(t.definition)};`);
    const state = enabled[t.enabled];
    if (state) out.push(`alter table ${t.table_name} ${state} trigger ${t.name};`);
  }
  out.push('');

  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

/** Where two snapshots first differ, with a few lines of each around it, for a failure message. */
export function firstDifference(committed: string, migrated: string, context = 4): string | undefined {
  const a = committed.split('\n');
  const b = migrated.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i += 1;
  if (i === a.length && i === b.length) return undefined;
  const around = (lines: string[]) => lines.slice(Math.max(0, i - 1), i + context).map((line) => `    ${line}`).join('\n') || '    (end of file)';
  return `first difference at line ${i + 1}\n  committed:\n${around(a)}\n  from the migrations:\n${around(b)}`;
}

// Temporary: ledger_apply driven directly (prepared, 10 connections), PG CPU per award.
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
const url = 'postgres://postgres@127.0.0.1:5432/jifen_perf';
const pgTicks = () => { let t = 0; for (const d of fs.readdirSync('/proc')) { if (!/^\d+$/.test(d)) continue; try { const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8'); if (s.includes('(postgres)')) { const f = s.split(') ')[1]!.split(' '); t += Number(f[11]) + Number(f[12]); } } catch {} } return t; };
const sql = postgres(url, { max: 10, onnotice: () => {} });
const ids = (await sql<{ id: string }[]>`select id from bench_vol`).map((r) => r.id);
const issuance = (await sql<{ id: string }[]>`select id from accounts where kind = 'issuance'`).map((r) => r.id);
const one = () => {
  const v = ids[Math.floor(Math.random() * ids.length)]!;
  const req = { idempotency: { caller: 'admin:bench', key: randomUUID(), hash: 'h'.repeat(43) }, guard: { volunteerId: v, requireActive: true }, transaction: { id: randomUUID(), kind: 'award', memo: 'bench', actorRole: 'admin', actorId: 'bench' }, postings: [{ account: issuance[Math.floor(Math.random() * 32)], amount: -5 }, { account: v, amount: 5 }] };
  return sql.unsafe('select ledger_apply($1::text::jsonb) as r', [JSON.stringify(req)], { prepare: true });
};
const run = async (ms: number) => { let n = 0; const end = Date.now() + ms; await Promise.all(Array.from({ length: Number(process.env.CONC ?? 10) }, async () => { while (Date.now() < end) { await one(); n++; } })); return n; };
await run(1500);
const t0 = pgTicks(); const c0 = process.cpuUsage(); const s0 = Date.now();
const n = await run(Number(process.env.MS ?? 8000));
const secs = (Date.now() - s0) / 1000; const c1 = process.cpuUsage(c0);
console.log(`${process.argv[2] ?? ''} awards/s ${(n / secs).toFixed(0)}  pg CPU ms/award ${(((pgTicks() - t0) * 10) / n).toFixed(3)}  client CPU ms/award ${((c1.user + c1.system) / 1000 / n).toFixed(3)}`);
await sql.end();

// Temporary profiling harness (not committed).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { loadConfig } from '../src/config.js';
import { createAccessTokens, loadAccessKeyRing } from '../src/tokens/access.js';

const mode = process.argv[2] ?? 'awards';
const prof = process.env.PROF === '1';
const url = 'postgres://postgres@127.0.0.1:5432/jifen_perf';
const env = { ...process.env, DATABASE_URL: url, DATA_DIR: '/tmp/prof-data', PORT: '3999', HOST: '127.0.0.1', LOG_LEVEL: 'warn', DB_POOL_MAX: process.env.POOL ?? '10', RATE_LIMIT_PER_SECOND: '0' };
const ticks = (pid: number) => { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return Number(f[11]) + Number(f[12]); };
const pgTicks = () => { let t = 0; for (const d of fs.readdirSync('/proc')) { if (!/^\d+$/.test(d)) continue; try { const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8'); if (s.includes('(postgres)')) { const f = s.split(') ')[1]!.split(' '); t += Number(f[11]) + Number(f[12]); } } catch {} } return t; };
const args = [...(prof ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []), '--import', 'tsx', 'src/main.ts'];
const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
for (let i = 0; i < 100; i++) { try { if ((await fetch('http://127.0.0.1:3999/readyz')).ok) break; } catch {} await new Promise((r) => setTimeout(r, 200)); }
const config = loadConfig(env);
const tokens = createAccessTokens(config, await loadAccessKeyRing(config));
const adminToken = await tokens.mint({ role: 'admin', sub: 'bench' });
const db = postgres(url, { max: 1 });
const ids = (await db<{ id: string }[]>`select id from volunteers where name like 'bench %' order by id`).map((r) => r.id);
await db.end();
const readers = ids.slice(0, 1000);
const readerTokens = await Promise.all(readers.map((id) => tokens.mint({ role: 'volunteer', sub: id })));
const req: autocannon.Request = mode === 'awards' ? { method: 'POST', path: '/v1/awards', setupRequest: (r) => ({ ...r, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() }, body: JSON.stringify({ volunteerId: ids[Math.floor(Math.random() * ids.length)], points: 5, reason: 'bench' }) }) }
  : { method: 'GET', setupRequest: (r) => { const i = Math.floor(Math.random() * readers.length); return { ...r, path: `/v1/volunteers/${readers[i]}/balance`, headers: { authorization: `Bearer ${readerTokens[i]}` } }; } };
await autocannon({ url: 'http://127.0.0.1:3999', connections: 50, duration: 2, requests: [req] });
const t0 = [ticks(child.pid!), pgTicks(), process.cpuUsage()] as const;
const r = await autocannon({ url: 'http://127.0.0.1:3999', connections: 50, duration: Number(process.env.SECS ?? 10), requests: [req] });
const t1 = [ticks(child.pid!), pgTicks(), process.cpuUsage(t0[2])] as const;
const n = r.requests.total;
console.log(`${mode}: ${r.requests.average} rps, non2xx ${r.non2xx}, p50 ${r.latency.p50} p99 ${r.latency.p99}`);
console.log(`CPU ms per request: service ${(((t1[0] - t0[0]) * 10) / n).toFixed(3)}, postgres ${(((t1[1] - t0[1]) * 10) / n).toFixed(3)}, loadgen ${((t1[2].user + t1[2].system) / 1000 / n).toFixed(3)}`);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));

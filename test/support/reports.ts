import { expect } from 'vitest';
import type { TestApp } from './app.js';
import type { Factory } from './factories.js';
import { key } from './ledger.js';

/** What the report test files share: requests as an admin, and reading CSV the way a spreadsheet would. */

/** The calendar day of an instant in the programme time zone, as the service computes periods. */
export const shanghaiDay = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(at);

/** UTF-8's byte order mark, which CSV reports start with so spreadsheets read Chinese correctly. */
export const bom = [0xef, 0xbb, 0xbf];

/**
 * Helpers bound to a test file's app and factory. `file` is read at each call, so they can be made
 * at the top of a file, before useTestApp has started the app.
 */
export function reportHelpers(file: () => { app: TestApp; f: Factory }) {
  return {
    get: (path: string, token = file().f.adminToken, headers: Record<string, string> = {}) => file().app.request('GET', path, { token, headers }),

    /** Records approved hours (and awards their points) at an activity, as an admin. */
    async recordHours(activityId: string, records: { volunteerId: string; minutes: number; units?: number }[]) {
      const { app, f } = file();
      const res = await app.request('POST', `/v1/activities/${activityId}/records`, { token: f.adminToken, body: { records }, headers: { 'idempotency-key': key() } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.records as { id: string; volunteerId: string; points: number; transactionId: string | null }[];
    },

    /**
     * The first bytes of a response, raw: fetch's text() decodes UTF-8 and drops a byte order mark,
     * so the mark itself can only be seen in the bytes.
     */
    async firstBytes(path: string, n = 3): Promise<number[]> {
      const { app, f } = file();
      const res = await fetch(`${app.baseUrl}${path}`, { headers: { authorization: `Bearer ${f.adminToken}` } });
      return [...new Uint8Array(await res.arrayBuffer()).slice(0, n)];
    },
  };
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF) into rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

/** The table part of a CSV report: the rows after the blank line that ends a preamble (if any). */
export function csvTable(text: string, withPreamble: boolean): string[][] {
  const rows = parseCsv(text.replace(/^\ufeff/, ''));
  if (!withPreamble) return rows;
  const blank = rows.findIndex((r) => r.length === 1 && r[0] === '');
  return rows.slice(blank + 1);
}

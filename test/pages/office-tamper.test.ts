import type postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { expectAccessible, launchBrowser, phoneWithToken, screenshot } from '../support/browser.js';
import type { Factory } from '../support/factories.js';
import { award } from '../support/ledger.js';
import { useTestApp } from '../support/setup.js';

/**
 * The office's ledger page when history has been rewritten behind the database's back (a superuser
 * switching the append-only triggers off): the check turns red and names the row, and a digest
 * recorded before the change no longer matches. A database of its own, left unsound on purpose.
 */

let app: TestApp;
let f: Factory;
let sql: postgres.Sql;
useTestApp({ scratch: true }, (started) => {
  ({ app, f } = started);
  sql = started.scratch!.sql;
});

describe('the office finds a rewritten ledger', () => {
  it('shows the check in red with the first row that does not match, and the digest as differing', async () => {
    const unit = await f.orgUnit();
    const volunteer = await f.volunteer(unit.id);
    await award(app, f.adminToken, volunteer.id, 50);
    await award(app, f.adminToken, volunteer.id, 7);
    // The auditor's record of the ledger as it is now (the service records a minute back; written
    // here directly so the record covers the rows just made).
    const digest = (await app.request('GET', `/v1/ledger/digest?asOf=${encodeURIComponent(new Date().toISOString())}`, { token: f.adminToken })).body;
    const [record] = await sql<{ id: string }[]>`
      insert into ledger_digests (id, day, as_of, digest, accounts, entries, recorded_by)
      values (gen_random_uuid(), '2026-01-01', ${digest.asOf}, ${digest.digest}, ${digest.accounts}, ${digest.entries}, 'auditor') returning id`;
    const [posting] = await sql<{ id: number }[]>`select max(id)::int as id from ledger_postings where account_id = ${volunteer.id}`;
    await sql.begin(async (tx) => {
      await tx.unsafe('alter table ledger_postings disable trigger ledger_postings_append_only');
      // A rewrite with its hash recomputed by hand: the chain head changes, so the digest does too.
      await tx.unsafe(`update ledger_postings set amount = amount + 100, hash = sha256(hash) where id = ${posting!.id}`);
      await tx.unsafe('alter table ledger_postings enable always trigger ledger_postings_append_only');
    });

    const browser = await launchBrowser();
    try {
      const page = await (await phoneWithToken(browser, app, 'admin', 'office')).newPage();
      await page.goto(`${app.baseUrl}/app/office/ledger`);
      await page.click('#verify-form button[type="submit"]');
      await expect.poll(() => page.locator('#verify-result-title').textContent()).toBe('账本核对发现问题');
      const result = (await page.locator('#verify-result').textContent()) ?? '';
      expect(result).toContain(String(posting!.id));
      expect(result).toContain('请立即告知审计人员');
      expect(result).toContain('内容被改过');
      expect(await page.locator('#verify-result').getAttribute('role')).toBe('alert');
      await expectAccessible(page, 'office ledger, check failed');
      await screenshot(page, 'office-ledger-problem');

      await page.goto(`${app.baseUrl}/app/office/ledger/digests/${record!.id}`);
      expect(await page.locator('#digest-check-title').textContent()).toContain('复核不一致');
      await expectAccessible(page, 'office digest, differing');
    } finally {
      await browser.close();
    }
  });
});

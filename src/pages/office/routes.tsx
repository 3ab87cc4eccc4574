import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { Actor } from '../../auth/actor.js';
import { checkDigestRecord, listDigestRecords, recordTodaysDigest } from '../../digests/service.js';
import { DomainError } from '../../errors.js';
import { verifyLedger } from '../../ledger/verify.js';
import { getMerchant } from '../../merchants/service.js';
import { getTotals } from '../../points/service.js';
import { byteStream, csvChunks, csvContentType, inHand, type CsvLayout, type ReportDocument } from '../../reports/csv.js';
import { merchantBalancesCsv, merchantStatementCsv, monthsCsv, starLevelsCsv, summaryCsv, summaryRows } from '../../reports/layouts.js';
import { merchantBalancesReport, monthsReport, starLevelsReport } from '../../reports/overview.js';
import type { MerchantBalance, MerchantLine } from '../../reports/schemas.js';
import { merchantStatement, programmeSummary } from '../../reports/service.js';
import { RecordSettlementBody } from '../../settlements/schemas.js';
import { recordSettlement, settlementSummary } from '../../settlements/service.js';
import { idempotencyScope } from '../../writes/idempotency.js';
import type { PageDeps, PageEnv } from '../common/env.js';
import { renderPage, seeOther } from '../common/render.js';
import { pageActor, readForm, requireRole } from '../common/session.js';
import { OfficeHome } from './home.js';
import { DigestPage, LedgerPage } from './ledger.js';
import { catalogueRoutes } from './catalogue.js';
import { peopleRoutes } from './people.js';
import { ShopPage, ShopsPage, type SettleForm, type StatementRange } from './shops.js';
import { officeStrings } from './strings.js';
import { SummaryPage, type SummaryQuery } from './summary.js';

/** Most statement lines a shop's page shows; the CSV download has them all. */
const statementLinesMax = 500;
/** Recorded digests listed on the ledger page. */
const digestsListed = 30;

const isoDay = /^(2\d{3})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Rows of a streamed report, at most `max`. */
async function firstRows<Row>(doc: ReportDocument<unknown, Row>, max: number): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of doc.batches()) {
    for (const row of batch) {
      if (rows.length >= max) return rows;
      rows.push(row);
    }
  }
  return rows;
}

/** A report as a CSV download from a page route: the same documents and layouts the API sends. */
function csvDownload<Head, Row>(c: Context<PageEnv>, doc: ReportDocument<Head, Row>, layout: CsvLayout<Head, Row>): Response {
  const log = c.get('log');
  return c.body(
    byteStream(csvChunks(doc, layout), (error) => log?.().error({ err: error }, 'office export failed after the response began')),
    200,
    { 'content-type': csvContentType, 'content-disposition': `attachment; filename="${layout.filename(doc.head)}"`, 'cache-control': 'no-store' },
  );
}

/** A day typed in a form, or undefined when empty; anything else is a mistake to say in words. */
function dayField(value: string | undefined): { ok: true; day: string | undefined } | { ok: false } {
  const text = (value ?? '').trim();
  if (text === '') return { ok: true, day: undefined };
  return isoDay.test(text) ? { ok: true, day: text } : { ok: false };
}

/**
 * The programme office: /app/office and the pages under it, for admins. Every figure and every
 * change goes through the service verbs the API uses, as the signed-in admin.
 */
export function officePages(deps: PageDeps) {
  const app = new Hono<PageEnv>();
  app.use('*', requireRole('admin'));
  const tz = deps.config.PROGRAMME_TIME_ZONE;
  const admin = (c: Context<PageEnv>): Actor => pageActor(c, 'admin');

  app.get('/', async (c) => {
    const { lang } = c.get('page');
    const totals = await getTotals(deps, admin(c));
    return renderPage(c, deps, { title: officeStrings[lang].homeTitle }, <OfficeHome lang={lang} figures={totals} />);
  });

  // --- Programme summary and its exports -------------------------------------------------------

  const summaryQuery = (c: Context<PageEnv>): { query: SummaryQuery; atOk: boolean } => {
    const raw = c.req.query('period');
    const period = raw === 'quarter' || raw === 'year' ? raw : 'month';
    const at = dayField(c.req.query('at'));
    return { query: { period, at: at.ok ? (at.day ?? '') : '' }, atOk: at.ok };
  };

  app.get('/summary', async (c) => {
    const { lang } = c.get('page');
    const t = officeStrings[lang];
    const { query, atOk } = summaryQuery(c);
    const actor = admin(c);
    const summary = await programmeSummary(deps, actor, { period: query.period, at: query.at || undefined });
    const [months, stars] = await Promise.all([monthsReport(deps, actor, { to: summary.period.lastDay.slice(0, 7) }), starLevelsReport(deps, actor, {})]);
    return renderPage(
      c,
      deps,
      { title: t.summaryTitle, status: atOk ? 200 : 400 },
      <SummaryPage lang={lang} query={query} atError={atOk ? undefined : t.statementDateError} summary={summary} months={months} stars={stars} />,
    );
  });

  app.get('/exports/summary.csv', async (c) => {
    const { query } = summaryQuery(c);
    const summary = await programmeSummary(deps, admin(c), { period: query.period, at: query.at || undefined });
    return csvDownload(c, { head: summary, batches: inHand(summaryRows(summary)) }, summaryCsv);
  });

  app.get('/exports/months.csv', async (c) => {
    const { query } = summaryQuery(c);
    const actor = admin(c);
    const summary = await programmeSummary(deps, actor, { period: query.period, at: query.at || undefined });
    const months = await monthsReport(deps, actor, { to: summary.period.lastDay.slice(0, 7) });
    return csvDownload(c, { head: months, batches: inHand(months.items) }, monthsCsv(months));
  });

  app.get('/exports/star-levels.csv', async (c) => {
    const stars = await starLevelsReport(deps, admin(c), {});
    return csvDownload(c, { head: stars, batches: inHand(stars.items) }, starLevelsCsv);
  });

  app.get('/exports/merchants.csv', async (c) => {
    const from = dayField(c.req.query('from'));
    const to = dayField(c.req.query('to'));
    if (!from.ok || !to.ok) throw new DomainError('validation_failed', 'from and to are days as YYYY-MM-DD');
    return csvDownload(c, await merchantBalancesReport(deps, admin(c), { from: from.day, to: to.day }), merchantBalancesCsv);
  });

  // --- Shops: owed, payments, statements -------------------------------------------------------

  app.get('/shops', async (c) => {
    const { lang } = c.get('page');
    const doc = await merchantBalancesReport(deps, admin(c), {});
    const shops = await firstRows<MerchantBalance>(doc, 5000);
    return renderPage(c, deps, { title: officeStrings[lang].shopsTitle }, <ShopsPage lang={lang} timeZone={tz} head={doc.head} shops={shops} />);
  });

  /** The shop's page with a settlement form (fresh, or as refused) and the statement for a range. */
  async function shopPage(c: Context<PageEnv>, id: string, form: SettleForm, status: 200 | 400 | 409, done?: { points: number; reference: string; owed: number }, offerOwed = false) {
    const { lang } = c.get('page');
    const t = officeStrings[lang];
    if (!uuid.test(id)) throw new DomainError('not_found', 'no such merchant');
    const actor = admin(c);
    const from = dayField(c.req.query('from'));
    const to = dayField(c.req.query('to'));
    const rangeOk = from.ok && to.ok && !(from.day && to.day && from.day > to.day);
    const rangeInput = { from: rangeOk && from.ok ? from.day : undefined, to: rangeOk && to.ok ? to.day : undefined };
    const [shop, position, statement] = await Promise.all([getMerchant(deps, actor, id), settlementSummary(deps, actor, id, {}), merchantStatement(deps, actor, id, rangeInput)]);
    const lines = await firstRows<MerchantLine>(statement, statementLinesMax);
    const range: StatementRange = { from: statement.head.period.firstDay, to: statement.head.period.lastDay, error: rangeOk ? undefined : t.statementDateError };
    return renderPage(
      c,
      deps,
      { title: t.shopTitle(shop.name), status },
      <ShopPage
        lang={lang}
        timeZone={tz}
        shop={shop}
        owed={position.owed}
        settledTotal={position.settledTotal}
        done={done}
        form={offerOwed && position.owed > 0 ? { ...form, points: String(position.owed) } : form}
        range={range}
        statement={statement.head}
        lines={lines}
      />,
    );
  }

  app.get('/shops/:id', async (c) => {
    const id = c.req.param('id');
    let done: { points: number; reference: string; owed: number } | undefined;
    const settled = c.req.query('settled');
    if (settled && uuid.test(id) && uuid.test(settled)) {
      // The payment just recorded, read back so the page states it from the ledger, not the URL.
      const recent = await settlementSummary(deps, admin(c), id, { from: new Date(Date.now() - 86_400_000).toISOString() });
      const found = recent.settlements.items.find((s) => s.id === settled);
      if (found) done = { points: found.points, reference: found.reference, owed: recent.owed };
    }
    // A fresh form offers the whole amount owed (shopPage fills it in from the shop's position).
    return shopPage(c, id, { points: '', reference: '', key: randomUUID(), errors: [] }, 200, done, true);
  });

  app.post('/shops/:id/settlements', async (c) => {
    const { lang } = c.get('page');
    const t = officeStrings[lang];
    const id = c.req.param('id');
    if (!uuid.test(id)) throw new DomainError('not_found', 'no such merchant');
    const form = await readForm(c, deps.config.PUBLIC_URL);
    const actor = admin(c);
    const points = (form.points ?? '').trim();
    const reference = (form.reference ?? '').trim();
    const key = /^[0-9a-f-]{36}$/.test(form.key ?? '') ? (form.key as string) : randomUUID();
    const again = (errors: SettleForm['errors'], status: 400 | 409) => shopPage(c, id, { points, reference, key, errors }, status);
    const parsed = RecordSettlementBody.safeParse({ points: /^\d{1,9}$/.test(points) ? Number(points) : Number.NaN, reference });
    if (!parsed.success) {
      const fields = new Set(parsed.error.issues.map((i) => String(i.path[0])));
      const errors: SettleForm['errors'] = [];
      if (fields.has('points')) errors.push({ field: 'points', message: t.settlePointsError });
      if (fields.has('reference')) errors.push({ field: 'reference', message: t.settleReferenceError });
      return again(errors, 400);
    }
    try {
      const scope = idempotencyScope(actor, key, `settlement:${id}`, parsed.data, true);
      const { body } = await recordSettlement(deps, actor, id, parsed.data, scope);
      return seeOther(`/app/office/shops/${id}?settled=${body.id}`);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'insufficient_points') {
        const owed = (await settlementSummary(deps, actor, id, {})).owed;
        return again([{ field: 'points', message: t.settleTooMuch(String(owed)) }], 409);
      }
      if (error instanceof DomainError && error.code === 'conflict') return again([{ field: 'reference', message: t.settleReferenceTaken }], 409);
      throw error;
    }
  });

  app.get('/shops/:id/statement.csv', async (c) => {
    const id = c.req.param('id');
    if (!uuid.test(id)) throw new DomainError('not_found', 'no such merchant');
    const from = dayField(c.req.query('from'));
    const to = dayField(c.req.query('to'));
    if (!from.ok || !to.ok) throw new DomainError('validation_failed', 'from and to are days as YYYY-MM-DD');
    return csvDownload(c, await merchantStatement(deps, admin(c), id, { from: from.day, to: to.day }), merchantStatementCsv);
  });

  // --- The ledger: verify, digests for the auditor --------------------------------------------

  const ledgerPage = async (c: Context<PageEnv>, result?: Awaited<ReturnType<typeof verifyLedger>>) => {
    const { lang } = c.get('page');
    const digests = await listDigestRecords(deps, admin(c), { limit: digestsListed });
    return renderPage(c, deps, { title: officeStrings[lang].ledgerTitle }, <LedgerPage lang={lang} timeZone={tz} result={result} digests={digests.items} />);
  };

  app.get('/ledger', (c) => ledgerPage(c));

  // Verifying reads the whole ledger: a button (a POST), so no prefetch or crawler starts one.
  app.post('/ledger/verify', async (c) => {
    await readForm(c, deps.config.PUBLIC_URL);
    return ledgerPage(c, await verifyLedger(deps, admin(c)));
  });

  app.post('/ledger/digests', async (c) => {
    await readForm(c, deps.config.PUBLIC_URL);
    const { record } = await recordTodaysDigest(deps, admin(c));
    return seeOther(`/app/office/ledger/digests/${record.id}`);
  });

  app.get('/ledger/digests/:id', async (c) => {
    const { lang } = c.get('page');
    const id = c.req.param('id');
    if (!uuid.test(id)) throw new DomainError('not_found', 'no such digest');
    const check = await checkDigestRecord(deps, admin(c), id);
    return renderPage(c, deps, { title: officeStrings[lang].digestTitle(check.day), printable: true }, <DigestPage lang={lang} timeZone={tz} check={check} />);
  });

  app.route('/', peopleRoutes(deps));
  app.route('/', catalogueRoutes(deps));
  return app;
}

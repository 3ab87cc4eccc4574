import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ServiceDeps } from '../deps.js';
import type { AppEnv } from '../http/env.js';
import { IdParam, bearerSecurity, createRouter, errorResponses, z } from '../http/openapi.js';
import { byteStream, csvChunks, csvContentType, inHand, jsonChunks, jsonContentType, type CsvLayout, type ReportDocument } from './csv.js';
import {
  activityCsv,
  leaderboardCsv,
  type LeaderboardLine,
  ledgerExportCsv,
  merchantBalancesCsv,
  merchantStatementCsv,
  monthsCsv,
  starLevelsCsv,
  summaryCsv,
  summaryRows,
  volunteerStatementCsv,
} from './layouts.js';
import { merchantBalancesReport, monthsReport, starLevelsReport } from './overview.js';
import {
  ActivityReportSchema,
  FormatQuery,
  LeaderboardQuery,
  LeaderboardSchema,
  LedgerExportSchema,
  MerchantBalancesSchema,
  MerchantStatementSchema,
  MonthsQuery,
  MonthsReportSchema,
  RangeQuery,
  StarLevelsQuery,
  StarLevelsSchema,
  SummaryQuery,
  SummarySchema,
  VolunteerStatementSchema,
} from './schemas.js';
import { activityReport, ledgerExport, leaderboardReport, merchantStatement, programmeSummary, volunteerStatement } from './service.js';

const tags = ['Reports'];

/** A report answers as JSON or, on request, as CSV; both are documented on every report route. */
const reportContent = (schema: z.ZodType, description: string) => ({
  description: `${description}. JSON by default; CSV (UTF-8 with BOM, streamed, \`content-disposition: attachment\`) with \`?format=csv\` or \`Accept: text/csv\`.`,
  content: { 'application/json': { schema }, 'text/csv': { schema: z.string() } },
});

const leaderboardRoute = createRoute({
  method: 'get',
  path: '/v1/reports/leaderboard',
  tags,
  summary: 'Top volunteers of a subtree by approved hours or points earned, for a month, quarter or year (admin; organiser in scope; a volunteer sees its own rank)',
  security: bearerSecurity,
  request: { query: LeaderboardQuery },
  responses: { 200: reportContent(LeaderboardSchema, 'The leaderboard'), ...errorResponses('forbidden', 'not_found') },
});

const summaryRoute = createRoute({
  method: 'get',
  path: '/v1/reports/summary',
  tags,
  summary: "Programme summary of a subtree for a month, quarter or year: volunteers, activities, hours by type, points and the programme's liability (admin; organiser in scope)",
  security: bearerSecurity,
  request: { query: SummaryQuery },
  responses: { 200: reportContent(SummarySchema, 'The summary'), ...errorResponses('forbidden', 'not_found') },
});

const activityRoute = createRoute({
  method: 'get',
  path: '/v1/activities/{id}/report',
  tags,
  summary: "Organiser's view of an activity: participants, hours, points, pending approvals (admin; organiser in scope)",
  security: bearerSecurity,
  request: { params: IdParam, query: FormatQuery },
  responses: { 200: reportContent(ActivityReportSchema, 'The activity report'), ...errorResponses('forbidden', 'not_found') },
});

const volunteerStatementRoute = createRoute({
  method: 'get',
  path: '/v1/volunteers/{id}/statement',
  tags,
  summary: 'Printable statement for a range of days: opening balance, every transaction, closing balance, hours and star level (the volunteer; organiser in scope; admin)',
  security: bearerSecurity,
  request: { params: IdParam, query: RangeQuery },
  responses: { 200: reportContent(VolunteerStatementSchema, 'The statement'), ...errorResponses('forbidden', 'not_found') },
});

const merchantStatementRoute = createRoute({
  method: 'get',
  path: '/v1/merchants/{id}/statement',
  tags,
  summary: 'Settlement statement for a range of days: every redemption with time, pack and points, settlements recorded, totals and the amount still owed (the merchant itself, admin)',
  security: bearerSecurity,
  request: { params: IdParam, query: RangeQuery },
  responses: { 200: reportContent(MerchantStatementSchema, 'The statement'), ...errorResponses('forbidden', 'not_found') },
});

const ledgerExportRoute = createRoute({
  method: 'get',
  path: '/v1/reports/ledger-export',
  tags,
  summary: 'Every ledger posting of transactions made in a range of days, streamed in constant memory (admin)',
  security: bearerSecurity,
  request: { query: RangeQuery },
  responses: { 200: reportContent(LedgerExportSchema, 'The postings, in transaction time order'), ...errorResponses('forbidden') },
});

const monthsRoute = createRoute({
  method: 'get',
  path: '/v1/reports/months',
  tags,
  summary: 'Month by month for a subtree: approved hours by activity type, active volunteers, points issued and redeemed; every month of the span, at most 36 (admin; organiser in scope)',
  security: bearerSecurity,
  request: { query: MonthsQuery },
  responses: { 200: reportContent(MonthsReportSchema, 'The months, oldest first'), ...errorResponses('forbidden', 'not_found') },
});

const starLevelsRoute = createRoute({
  method: 'get',
  path: '/v1/reports/star-levels',
  tags,
  summary: "Active volunteers of a subtree by star level now, every level listed (admin; organiser in scope)",
  security: bearerSecurity,
  request: { query: StarLevelsQuery },
  responses: { 200: reportContent(StarLevelsSchema, 'Volunteers by star level'), ...errorResponses('forbidden', 'not_found') },
});

const merchantBalancesRoute = createRoute({
  method: 'get',
  path: '/v1/reports/merchants',
  tags,
  summary: 'What the programme owes each merchant now, settled since the start, and redemptions and settlements in a range of days (admin)',
  security: bearerSecurity,
  request: { query: RangeQuery },
  responses: { 200: reportContent(MerchantBalancesSchema, 'Every merchant, in registration order, with totals'), ...errorResponses('forbidden') },
});

export function wantsCsv(c: Context<AppEnv>, format: 'json' | 'csv' | undefined): boolean {
  if (format) return format === 'csv';
  return /\btext\/csv\b/i.test(c.req.header('accept') ?? '');
}

/**
 * Sends a report as a stream in the format asked for. The head was computed (and authorisation
 * checked) before this point, so every refusal is still an ordinary problem response; a failure
 * after the first byte can only abort the body, and is logged.
 */
export function sendReport<Head extends object, Row>(c: Context<AppEnv>, doc: ReportDocument<Head, Row>, layout: CsvLayout<Head, Row>, csv: boolean): Response {
  const log = c.get('log');
  const onError = (error: unknown) => log().error({ err: error }, 'report stream failed after the response began');
  if (csv) {
    return c.body(byteStream(csvChunks(doc, layout), onError), 200, {
      'content-type': csvContentType,
      'content-disposition': `attachment; filename="${layout.filename(doc.head)}"`,
      'cache-control': 'no-store',
    });
  }
  return c.body(byteStream(jsonChunks(doc), onError), 200, { 'content-type': jsonContentType, 'cache-control': 'no-store' });
}

export function reportRoutes(deps: ServiceDeps) {
  return createRouter()
    .openapi(leaderboardRoute, async (c) => {
      const query = c.req.valid('query');
      const board = await leaderboardReport(deps, c.get('actor'), query);
      if (!wantsCsv(c, query.format)) return c.json(board, 200);
      // A volunteer's CSV holds its own line only, as the JSON does.
      const rows: LeaderboardLine[] = board.me ? [{ volunteerId: c.get('actor').id, name: '', orgUnitId: board.orgUnitId ?? '', ...board.me }] : board.items;
      return sendReport(c, { head: board, batches: inHand(rows) }, leaderboardCsv, true);
    })
    .openapi(summaryRoute, async (c) => {
      const query = c.req.valid('query');
      const summary = await programmeSummary(deps, c.get('actor'), query);
      if (!wantsCsv(c, query.format)) return c.json(summary, 200);
      return sendReport(c, { head: summary, batches: inHand(summaryRows(summary)) }, summaryCsv, true);
    })
    .openapi(activityRoute, async (c) => {
      const doc = await activityReport(deps, c.get('actor'), c.req.valid('param').id);
      return sendReport(c, doc, activityCsv, wantsCsv(c, c.req.valid('query').format));
    })
    .openapi(volunteerStatementRoute, async (c) => {
      const query = c.req.valid('query');
      const doc = await volunteerStatement(deps, c.get('actor'), c.req.valid('param').id, query);
      return sendReport(c, doc, volunteerStatementCsv, wantsCsv(c, query.format));
    })
    .openapi(merchantStatementRoute, async (c) => {
      const query = c.req.valid('query');
      const doc = await merchantStatement(deps, c.get('actor'), c.req.valid('param').id, query);
      return sendReport(c, doc, merchantStatementCsv, wantsCsv(c, query.format));
    })
    .openapi(monthsRoute, async (c) => {
      const query = c.req.valid('query');
      const report = await monthsReport(deps, c.get('actor'), query);
      if (!wantsCsv(c, query.format)) return c.json(report, 200);
      return sendReport(c, { head: report, batches: inHand(report.items) }, monthsCsv(report), true);
    })
    .openapi(starLevelsRoute, async (c) => {
      const query = c.req.valid('query');
      const report = await starLevelsReport(deps, c.get('actor'), query);
      if (!wantsCsv(c, query.format)) return c.json(report, 200);
      return sendReport(c, { head: report, batches: inHand(report.items) }, starLevelsCsv, true);
    })
    .openapi(merchantBalancesRoute, async (c) => {
      const query = c.req.valid('query');
      const doc = await merchantBalancesReport(deps, c.get('actor'), query);
      return sendReport(c, doc, merchantBalancesCsv, wantsCsv(c, query.format));
    })
    .openapi(ledgerExportRoute, async (c) => {
      const query = c.req.valid('query');
      const doc = await ledgerExport(deps, c.get('actor'), query);
      return sendReport(c, doc, ledgerExportCsv, wantsCsv(c, query.format));
    });
}

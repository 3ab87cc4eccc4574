import type { Context } from 'hono';
import { Hono } from 'hono';
import { uuidPattern } from '../../db/ids.js';
import { DomainError } from '../../errors.js';
import { getRedemption, redeemToken } from '../../redemptions/service.js';
import { listMerchantRedemptions, settlementSummary } from '../../settlements/service.js';
import type { PageDeps, PageEnv } from '../common/env.js';
import { dayIn, dayStart, nextDay } from '../common/i18n.js';
import { renderPage, seeOther } from '../common/render.js';
import { pageActor, readForm, requireRole } from '../common/session.js';
import { CounterHome, Settlement, type CounterAnswer, type RedeemedLine } from './pages.js';
import { counterStrings } from './strings.js';

/** Most of today's redemptions shown at the counter; the statement pages through the rest. */
const todayMax = 100;
const statementPageSize = 50;

/** Reasons a refused code is shown with (the error codes of the redeem verb, and two of our own). */
const reasons = new Set(['empty', 'token_expired', 'token_already_used', 'cancelled', 'token_wrong_merchant', 'token_invalid', 'rate_limited']);

/**
 * The shop's counter: /app/counter and its settlement statement. A code (scanned by the camera,
 * typed by a barcode scanner, or by hand) is posted to /app/counter/redeem, redeemed with the same
 * verb as POST /v1/redemptions/redeem, and the counter page shows the answer (post, redirect, get).
 */
export function counterPages(deps: PageDeps) {
  const app = new Hono<PageEnv>();
  app.use('*', requireRole('merchant'));
  const tz = deps.config.PROGRAMME_TIME_ZONE;

  app.get('/', async (c) => {
    const actor = pageActor(c, 'merchant');
    const { lang } = c.get('page');
    let answer: CounterAnswer | undefined;
    const redeemed = c.req.query('redeemed');
    const refused = c.req.query('refused');
    if (redeemed && uuidPattern.test(redeemed)) {
      const claim = await getRedemption(deps, actor, redeemed.toLowerCase());
      if (claim.status === 'redeemed') answer = { ok: true, line: { id: claim.id, packTitle: claim.packTitle, volunteerName: claim.volunteerName, points: claim.points, redeemedAt: claim.resolvedAt ?? claim.issuedAt } };
    } else if (refused && reasons.has(refused)) {
      answer = { ok: false, reason: refused };
    }
    const today = await listMerchantRedemptions(deps, actor, actor.id, { from: dayStart(dayIn(new Date(), tz), tz)!.toISOString(), limit: todayMax });
    return renderPage(
      c,
      deps,
      { title: counterStrings[lang].title, scripts: ['counter.js'], camera: true, status: answer && !answer.ok ? 422 : 200 },
      <CounterHome
        lang={lang}
        timeZone={tz}
        answer={answer}
        today={today.items}
        workerUrl={deps.assets.url('scan-worker.js')}
        readerUrl={deps.assets.url('zxing-reader.js')}
        wasmUrl={deps.assets.url('zxing_reader.wasm')}
      />,
    );
  });

  app.post('/redeem', async (c) => {
    const actor = pageActor(c, 'merchant');
    const form = await readForm(c, deps.config.PUBLIC_URL);
    const code = (form.code ?? '').trim();
    if (code === '') return seeOther('/app/counter?refused=empty');
    try {
      const redeemed = await redeemToken(deps, actor, { token: code.slice(0, 4096) });
      return seeOther(`/app/counter?redeemed=${redeemed.id}`);
    } catch (error) {
      if (!(error instanceof DomainError) || !reasons.has(error.code)) throw error;
      const reason = error.code === 'token_already_used' && error.extensions.redemptionStatus === 'cancelled' ? 'cancelled' : error.code;
      return seeOther(`/app/counter?refused=${reason}`);
    }
  });

  app.get('/settlement', async (c) => settlementPage(c));

  async function settlementPage(c: Context<PageEnv>) {
    const actor = pageActor(c, 'merchant');
    const { lang } = c.get('page');
    const t = counterStrings[lang];
    const today = dayIn(new Date(), tz);
    const from = (c.req.query('from') ?? `${today.slice(0, 8)}01`).slice(0, 10);
    const to = (c.req.query('to') ?? today).slice(0, 10);
    const errors: { field: 'from' | 'to'; message: string }[] = [];
    const fromAt = dayStart(from, tz);
    const toAt = dayStart(to, tz) ? dayStart(nextDay(to), tz) : undefined;
    if (!fromAt) errors.push({ field: 'from', message: t.dateInvalid });
    if (!toAt) errors.push({ field: 'to', message: t.dateInvalid });
    if (fromAt && toAt && toAt <= fromAt) errors.push({ field: 'to', message: t.toBeforeFrom });
    let summary;
    let redemptions: RedeemedLine[] = [];
    let moreHref: string | undefined;
    if (errors.length === 0 && fromAt && toAt) {
      const period = { from: fromAt.toISOString(), to: toAt.toISOString() };
      const cursor = c.req.query('cursor');
      const [s, page] = await Promise.all([
        settlementSummary(deps, actor, actor.id, period),
        listMerchantRedemptions(deps, actor, actor.id, { ...period, limit: statementPageSize, cursor: cursor && cursor.length <= 200 ? cursor : undefined }),
      ]);
      summary = s;
      redemptions = page.items;
      if (page.nextCursor) moreHref = `/app/counter/settlement?${new URLSearchParams({ from, to, cursor: page.nextCursor })}`;
    }
    return renderPage(
      c,
      deps,
      { title: t.settlementTitle, status: errors.length > 0 ? 400 : 200 },
      <Settlement lang={lang} timeZone={tz} from={from} to={to} errors={errors} summary={summary} redemptions={redemptions} moreHref={moreHref} />,
    );
  }

  return app;
}

import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { getActivity } from '../../activities/service.js';
import { uuidPattern } from '../../db/ids.js';
import { DomainError, notFound } from '../../errors.js';
import { getMerchant } from '../../merchants/service.js';
import { getPack, listCatalogue } from '../../packs/service.js';
import { getBalance, getStatement } from '../../points/service.js';
import { issueCertificate, verifyCertificate } from '../../records/certificate.js';
import { checkIn, checkOut } from '../../records/entry.js';
import { listVolunteerRecords } from '../../records/service.js';
import { cancelRedemption, claimPack, getRedemption, listVolunteerRedemptions } from '../../redemptions/service.js';
import { getVolunteer } from '../../volunteers/service.js';
import { idempotencyScope } from '../../writes/idempotency.js';
import { qrSvg } from '../common/components.js';
import type { PageDeps, PageEnv } from '../common/env.js';
import { renderPage, seeOther } from '../common/render.js';
import { pageActor, readForm, requireRole } from '../common/session.js';
import { Certificate, CertificateStart } from './certificate.js';
import { CheckIn, type CheckInProps, type CheckInState } from './checkin.js';
import { ClaimCode, Claims } from './claim.js';
import { WalletHome } from './home.js';
import { ConfirmClaim, Packs, type PackOffer } from './packs.js';
import { Statement, type StatementLine } from './statement.js';
import { walletStrings } from './strings.js';

/** Lines, packs or claims on one page of a list. */
const pageSize = 20;

/** An id from the address, or 404: a malformed id names nothing. */
function idParam(value: string | undefined): string {
  if (!value || !uuidPattern.test(value)) throw notFound('page');
  return value.toLowerCase();
}

/** A list's cursor from the address: the API's own, checked by the service verb it is handed to. */
function cursorParam(value: string | undefined): string | undefined {
  return value && value.length <= 200 ? value : undefined;
}

const checkInCodePattern = /^[0-9]{6}$/;

/**
 * The volunteer's wallet: /app/wallet and the pages under it. Every figure comes from the same
 * service verbs the API answers with, as this volunteer; every write is a form posted here, then a
 * redirect to the page that shows its result.
 */
export function walletPages(deps: PageDeps) {
  const app = new Hono<PageEnv>();
  app.use('*', requireRole('volunteer'));
  const tz = deps.config.PROGRAMME_TIME_ZONE;

  app.get('/', async (c) => {
    const actor = pageActor(c, 'volunteer');
    const { lang } = c.get('page');
    const [volunteer, balance] = await Promise.all([getVolunteer(deps, actor, actor.id), getBalance(deps, actor, actor.id)]);
    return renderPage(c, deps, { title: walletStrings[lang].homeTitle }, <WalletHome lang={lang} name={volunteer.name} figures={balance} thresholdsHours={deps.config.STAR_THRESHOLDS_HOURS} />);
  });

  app.get('/statement', async (c) => {
    const actor = pageActor(c, 'volunteer');
    const { lang } = c.get('page');
    const cursor = cursorParam(c.req.query('cursor'));
    const statement = await getStatement(deps, actor, actor.id, { limit: pageSize, cursor });
    // Claims and their returns name the pack and the shop, read as this volunteer.
    const references = [...new Set(statement.items.filter((i) => (i.kind === 'reserve' || i.kind === 'release') && i.reference).map((i) => i.reference as string))];
    const claims = new Map(
      await Promise.all(references.map(async (id) => [id, await getRedemption(deps, actor, id).catch(() => undefined)] as const)),
    );
    const lines: StatementLine[] = statement.items.map((i) => {
      const claim = i.reference ? claims.get(i.reference) : undefined;
      return { kind: i.kind, amount: i.amount, balanceAfter: i.balanceAfter, memo: i.memo, createdAt: i.createdAt, claim };
    });
    return renderPage(
      c,
      deps,
      { title: walletStrings[lang].statementTitle },
      <Statement
        lang={lang}
        timeZone={tz}
        lines={lines}
        olderHref={statement.nextCursor ? `/app/wallet/statement?cursor=${encodeURIComponent(statement.nextCursor)}` : undefined}
        newestHref={cursor ? '/app/wallet/statement' : undefined}
      />,
    );
  });

  /** Packs with their shops' names (one read per shop on the page). */
  async function offersOf(c: Context<PageEnv>, packs: Awaited<ReturnType<typeof listCatalogue>>['items']): Promise<PackOffer[]> {
    const actor = pageActor(c, 'volunteer');
    const merchantIds = [...new Set(packs.map((p) => p.merchantId))];
    const names = new Map(await Promise.all(merchantIds.map(async (id) => [id, (await getMerchant(deps, actor, id)).name] as const)));
    return packs.map((pack) => ({ pack, merchantName: names.get(pack.merchantId) ?? '' }));
  }

  app.get('/packs', async (c) => {
    const actor = pageActor(c, 'volunteer');
    const { lang } = c.get('page');
    const [catalogue, balance] = await Promise.all([listCatalogue(deps, actor, { limit: pageSize, cursor: cursorParam(c.req.query('cursor')) }), getBalance(deps, actor, actor.id)]);
    return renderPage(
      c,
      deps,
      { title: walletStrings[lang].packsTitle },
      <Packs
        lang={lang}
        timeZone={tz}
        offers={await offersOf(c, catalogue.items)}
        standing={balance}
        olderHref={catalogue.nextCursor ? `/app/wallet/packs?cursor=${encodeURIComponent(catalogue.nextCursor)}` : undefined}
      />,
    );
  });

  async function confirmPage(c: Context<PageEnv>, packId: string, error?: string) {
    const actor = pageActor(c, 'volunteer');
    const { lang } = c.get('page');
    const [pack, balance] = await Promise.all([getPack(deps, actor, packId), getBalance(deps, actor, actor.id)]);
    const [offer] = await offersOf(c, [pack]);
    return renderPage(
      c,
      deps,
      { title: walletStrings[lang].confirmTitle, status: error ? 409 : 200 },
      <ConfirmClaim lang={lang} timeZone={tz} offer={offer!} standing={balance} requestKey={randomUUID()} error={error} />,
    );
  }

  app.get('/packs/:id', (c) => confirmPage(c, idParam(c.req.param('id'))));

  app.post('/packs/:id/claim', async (c) => {
    const actor = pageActor(c, 'volunteer');
    const packId = idParam(c.req.param('id'));
    const form = await readForm(c, deps.config.PUBLIC_URL);
    // The key the confirmation page carried: a double tap or a resent form gives the same claim.
    const key = form.key && uuidPattern.test(form.key) ? form.key : undefined;
    try {
      const { body } = await claimPack(deps, actor, { packId }, idempotencyScope(actor, key, 'claim', { packId }, false));
      return seeOther(`/app/wallet/claims/${body.id}`);
    } catch (error) {
      const words = error instanceof DomainError ? walletStrings[c.get('page').lang].claimErrors[error.code] : undefined;
      if (words) return confirmPage(c, packId, words);
      throw error;
    }
  });

  app.get('/claims', async (c) => {
    const actor = pageActor(c, 'volunteer');
    const { lang } = c.get('page');
    const claims = await listVolunteerRedemptions(deps, actor, actor.id, { limit: pageSize, cursor: cursorParam(c.req.query('cursor')) });
    return renderPage(
      c,
      deps,
      { title: walletStrings[lang].claimsTitle },
      <Claims lang={lang} timeZone={tz} claims={claims.items} olderHref={claims.nextCursor ? `/app/wallet/claims?cursor=${encodeURIComponent(claims.nextCursor)}` : undefined} />,
    );
  });

  async function claimPage(c: Context<PageEnv>, id: string, notice?: string) {
    const actor = pageActor(c, 'volunteer');
    const { lang } = c.get('page');
    const claim = await getRedemption(deps, actor, id);
    const svg = claim.status === 'issued' && claim.token ? await qrSvg(claim.token) : undefined;
    return renderPage(
      c,
      deps,
      { title: walletStrings[lang].codeTitle, scripts: claim.status === 'issued' ? ['countdown.js'] : [] },
      <ClaimCode lang={lang} timeZone={tz} claim={claim} qrSvg={svg} notice={notice} />,
    );
  }

  app.get('/claims/:id', (c) => {
    const t = walletStrings[c.get('page').lang];
    return claimPage(c, idParam(c.req.param('id')), c.req.query('notice') === 'cancelled' ? t.cancelledDone : undefined);
  });

  // What the live claim's page asks every few seconds, to turn to "redeemed" while the person waits.
  app.get('/claims/:id/status', async (c) => {
    const claim = await getRedemption(deps, pageActor(c, 'volunteer'), idParam(c.req.param('id')));
    return c.json({ status: claim.status }, 200, { 'cache-control': 'no-store' });
  });

  app.post('/claims/:id/cancel', async (c) => {
    const actor = pageActor(c, 'volunteer');
    const id = idParam(c.req.param('id'));
    await readForm(c, deps.config.PUBLIC_URL);
    try {
      await cancelRedemption(deps, actor, id);
      return seeOther(`/app/wallet/claims/${id}?notice=cancelled`);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'token_already_used') return claimPage(c, id, walletStrings[c.get('page').lang].cancelTooLate);
      if (error instanceof DomainError && error.code === 'token_expired') return seeOther(`/app/wallet/claims/${id}`);
      throw error;
    }
  });

  /** The volunteer's standing at an activity: not checked in, checked in, or checked out already. */
  async function standingAt(c: Context<PageEnv>, activityId: string): Promise<{ state: CheckInState; minutes: number }> {
    const actor = pageActor(c, 'volunteer');
    const records = await listVolunteerRecords(deps, actor, actor.id, { limit: 100 });
    const record = records.items.find((r) => r.activityId === activityId);
    if (!record) return { state: 'none', minutes: 0 };
    return { state: record.status === 'checked_in' ? 'checked_in' : 'done', minutes: record.minutes };
  }

  async function checkInPage(c: Context<PageEnv>, activityId: string, code: string, extra: Partial<CheckInProps> = {}, status: 200 | 400 | 409 = 200) {
    const actor = pageActor(c, 'volunteer');
    const { lang } = c.get('page');
    const activity = await getActivity(deps, actor, activityId);
    const standing = await standingAt(c, activityId);
    const wrongCode = !checkInCodePattern.test(code);
    const done = extra.done ?? (c.req.query('done') === 'in' ? { action: 'in' as const } : c.req.query('done') === 'out' ? { action: 'out' as const, minutes: standing.minutes } : undefined);
    return renderPage(
      c,
      deps,
      { title: walletStrings[lang].checkInTitle, scripts: ['auto-submit.js'], status: wrongCode && status === 200 ? 400 : status },
      <CheckIn
        lang={lang}
        timeZone={tz}
        activity={activity}
        code={wrongCode ? '' : code}
        state={wrongCode ? 'done' : standing.state}
        {...extra}
        done={done}
        error={extra.error ?? (wrongCode ? walletStrings[lang].checkInWrongCode : undefined)}
      />,
    );
  }

  app.get('/check-in', (c) => checkInPage(c, idParam(c.req.query('activity')), c.req.query('code') ?? ''));

  app.post('/check-in', async (c) => {
    const actor = pageActor(c, 'volunteer');
    const form = await readForm(c, deps.config.PUBLIC_URL);
    const activityId = idParam(form.activity);
    const code = form.code ?? '';
    const t = walletStrings[c.get('page').lang];
    const back = (done: 'in' | 'out') => seeOther(`/app/wallet/check-in?${new URLSearchParams({ activity: activityId, code, done })}`);
    let units: number | undefined;
    if (form.action === 'out' && form.units !== undefined && form.units.trim() !== '') {
      units = /^[0-9]{1,4}$/.test(form.units.trim()) ? Number(form.units.trim()) : NaN;
      if (Number.isNaN(units) || units > 1000) return checkInPage(c, activityId, code, { unitsError: t.unitsInvalid, units: form.units.slice(0, 10) }, 400);
    }
    try {
      if (form.action === 'out') {
        await checkOut(deps, actor, activityId, { code, units });
        return back('out');
      }
      await checkIn(deps, actor, activityId, { code });
      return back('in');
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.code === 'validation_failed') return checkInPage(c, activityId, code, { error: t.checkInWrongCode }, 400);
      if (error.code === 'conflict') return checkInPage(c, activityId, code, { error: form.action === 'out' ? t.checkInConflict : t.checkInNotNow }, 409);
      if (error.code === 'not_found' && form.action === 'out') return checkInPage(c, activityId, code, {}, 409);
      throw error;
    }
  });

  app.get('/certificate', async (c) => {
    const actor = pageActor(c, 'volunteer');
    const { lang } = c.get('page');
    const t = walletStrings[lang];
    const jws = c.req.query('c');
    if (!jws) return renderPage(c, deps, { title: t.certificateTitle }, <CertificateStart lang={lang} />);
    const certificate = await verifyCertificate(deps, jws);
    if (certificate.volunteer.id !== actor.id) throw new DomainError('forbidden', t.certificateNotYours);
    const verifyUrl = `${deps.config.PUBLIC_URL}/app/verify?${new URLSearchParams({ c: jws })}`;
    return renderPage(
      c,
      deps,
      { title: t.certificateTitle, scripts: ['print.js'], printable: true },
      <Certificate lang={lang} timeZone={tz} certificate={certificate} verifyQrSvg={await qrSvg(verifyUrl)} />,
    );
  });

  app.post('/certificate', async (c) => {
    const actor = pageActor(c, 'volunteer');
    await readForm(c, deps.config.PUBLIC_URL);
    const issued = await issueCertificate(deps, actor, actor.id);
    return seeOther(`/app/wallet/certificate?${new URLSearchParams({ c: issued.certificate })}`);
  });

  return app;
}

import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { CreateActivityBody } from '../../activities/schemas.js';
import { createActivity, getActivity, getCheckInCode, listActivities } from '../../activities/service.js';
import { listActivityTypes } from '../../activitytypes/service.js';
import type { Actor } from '../../auth/actor.js';
import { uuidPattern } from '../../db/ids.js';
import { DomainError } from '../../errors.js';
import { fieldErrors } from '../../http/openapi.js';
import { getOrgUnit, unitsInScope } from '../../orgunits/service.js';
import { AwardBody } from '../../points/schemas.js';
import { awardPoints, getBalance, getStatement } from '../../points/service.js';
import { CorrectionBody } from '../../records/schemas.js';
import { correctRecord, decideOne, decideQueued } from '../../records/decisions.js';
import { enterSheet, previewSheet } from '../../records/sheet-entry.js';
import { parseSheetFile, parseSheetText, SheetError, type ParsedSheet } from '../../records/sheet.js';
import { getRecord, listManagedRecords, listVolunteerRecords } from '../../records/service.js';
import { byteStream, csvChunks, csvContentType, inHand, type CsvLayout, type ReportDocument } from '../../reports/csv.js';
import { activityCsv, monthsCsv } from '../../reports/layouts.js';
import { monthsReport } from '../../reports/overview.js';
import { activityReport, leaderboardReport } from '../../reports/service.js';
import type { Participant } from '../../reports/schemas.js';
import { CreateVolunteerBody } from '../../volunteers/schemas.js';
import { createVolunteer, deactivateVolunteer, getVolunteer, listVolunteers } from '../../volunteers/service.js';
import { idempotencyScope } from '../../writes/idempotency.js';
import { qrSvg } from '../common/components.js';
import type { PageDeps, PageEnv } from '../common/env.js';
import { renderPage, seeOther } from '../common/render.js';
import { pageActor, readForm, requireRole } from '../common/session.js';
import { issueSignInCode } from '../../sessions/service.js';
import { SignInCards } from './cards.js';
import { ActivityDetail, ActivityList, ActivityReportPage, CreateActivityForm, LiveCode, LiveParticipants, Projector, type ActivityValues, type ShownCode } from './activities.js';
import { readSheetForm } from './form.js';
import { DeskHome } from './home.js';
import { BulkDone, BulkForm, BulkPreview, CorrectionForm, Queue, type QueuedRecord } from './hours.js';
import { Reports } from './reports.js';
import { deskStrings, type DeskStrings } from './strings.js';
import { isCalendarDay, nextDay, normaliseTime, todayIn, zonedInstant } from './time.js';
import { errorsByField, type FormErrors } from './view.js';
import { RegisterForm, StatementPage, VolunteerDetail, VolunteerList, type RegisterValues } from './volunteers.js';

/**
 * The organiser's desk: /app/desk and the pages under it, for organisers, scoped to their subtree.
 * Every page calls the same service verbs the API does, as the signed-in organiser, so what an
 * organiser may see and do here is exactly what the API allows it (another subtree's volunteer is
 * "not found" here as there).
 */

const pageSize = 50;
/** Most participants the live list shows; a bigger activity is read in its report's CSV. */
const participantsShownMax = 500;
/** How far back an activity's hours may be entered from a sheet: the longest activity. */
const bulkLookbackDays = 31;
const upcomingDays = 14;
/** Cards on one printed sheet at most (a few A4 pages): a sign-in code is minted for each. */
const cardsPerSheetMax = 40;

type DeskContext = Context<PageEnv>;
type Organiser = Extract<Actor, { role: 'organiser' }>;

const stringsOf = (c: DeskContext) => deskStrings[c.get('page').lang];
const validId = (id: string | undefined): id is string => id !== undefined && uuidPattern.test(id);

function notFound(): never {
  throw new DomainError('not_found', 'no such page');
}

/** A fragment of a page (what desk.js swaps in), with the pages' headers. */
async function fragment(element: { toString(): string | Promise<string> }): Promise<Response> {
  return new Response(`${await element.toString()}`, { status: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' } });
}

function sendCsv<Head, Row>(c: DeskContext, doc: ReportDocument<Head, Row>, layout: CsvLayout<Head, Row>): Response {
  const log = c.get('log');
  return c.body(
    byteStream(csvChunks(doc, layout), (error) => log?.().error({ err: error }, 'desk CSV stream failed after the response began')),
    200,
    { 'content-type': csvContentType, 'content-disposition': `attachment; filename="${layout.filename(doc.head)}"`, 'cache-control': 'no-store' },
  );
}

async function participantsOf(deps: PageDeps, actor: Organiser, activityId: string) {
  const doc = await activityReport(deps, actor, activityId);
  const items: Participant[] = [];
  for await (const batch of doc.batches()) {
    items.push(...batch);
    if (items.length >= participantsShownMax) break;
  }
  return { head: doc.head, items: items.slice(0, participantsShownMax) };
}

/** The activities whose hours may be entered now: begun in the last month, not cancelled, newest first. */
async function recordableActivities(deps: PageDeps, actor: Organiser) {
  const now = new Date();
  const page = await listActivities(deps, actor, { orgUnitId: actor.orgUnitId, from: new Date(now.getTime() - bulkLookbackDays * 86_400_000).toISOString(), to: now.toISOString(), limit: 200 });
  return page.items.filter((a) => a.status !== 'cancelled').reverse();
}

async function shownCode(deps: PageDeps, actor: Organiser, activityId: string): Promise<{ shown: ShownCode; svg: string }> {
  const code = await getCheckInCode(deps, actor, activityId);
  // The QR holds the wallet's check-in address when the service gives one, else the code itself.
  const target = 'url' in code && typeof code.url === 'string' ? code.url : code.code;
  const now = Date.now();
  const shown = { code: code.code, target, rotatesAt: code.rotatesAt, running: now >= Date.parse(code.validFrom) && now < Date.parse(code.validUntil) };
  return { shown, svg: await qrSvg(target) };
}

function registerErrors(t: DeskStrings, issues: { path: string; message: string }[]): FormErrors {
  return errorsByField(issues, (field) => ({ name: t.nameRequired, phone: t.phoneInvalid, orgUnitId: t.unitRequired })[field]);
}

function sheetErrorText(t: DeskStrings, error: SheetError): string {
  return { empty: t.sheetEmpty, too_many_rows: t.sheetTooManyRows, too_large: t.sheetTooLarge, not_a_workbook: t.sheetNotWorkbook, no_columns: t.sheetNoColumns }[error.reason];
}

/** A parsed sheet as tab-separated text with a header, so what was uploaded can be carried and fixed as text. */
function sheetAsText(sheet: ParsedSheet): string {
  const lines = [['姓名', '手机', '志愿者编号', '分钟', '数量'].join('\t')];
  for (const r of sheet.rows) lines.push([r.name ?? '', r.phone ?? '', r.id ?? '', r.minutes ?? '', r.units ?? ''].join('\t'));
  return lines.join('\n');
}

export function deskPages(deps: PageDeps) {
  const app = new Hono<PageEnv>();
  const timeZone = deps.config.PROGRAMME_TIME_ZONE;
  app.use('*', requireRole('organiser'));

  app.get('/', async (c) => {
    const actor = pageActor(c, 'organiser');
    const today = todayIn(timeZone);
    const [unit, pending, activities] = await Promise.all([
      getOrgUnit(deps, actor, actor.orgUnitId),
      listManagedRecords(deps, actor, { status: 'pending', limit: 99 }),
      listActivities(deps, actor, { orgUnitId: actor.orgUnitId, from: zonedInstant(today, '00:00', timeZone).toISOString(), to: zonedInstant(nextDay(today), '00:00', timeZone).toISOString(), limit: 50 }),
    ]);
    const { lang } = c.get('page');
    return renderPage(c, deps, { title: stringsOf(c).homeTitle }, <DeskHome lang={lang} timeZone={timeZone} unitName={unit.name} pending={pending.items.length} pendingMore={pending.nextCursor !== null} today={activities.items} />);
  });

  // Volunteers ---------------------------------------------------------------------------------

  app.get('/volunteers', async (c) => {
    const actor = pageActor(c, 'organiser');
    const t = stringsOf(c);
    const q = (c.req.query('q') ?? '').trim().slice(0, 100);
    const cursor = c.req.query('cursor');
    const [page, units] = await Promise.all([listVolunteers(deps, actor, { q: q || undefined, limit: pageSize, cursor: cursor || undefined }), unitsInScope(deps, actor)]);
    const base = `/app/desk/volunteers?${new URLSearchParams(q ? { q } : {})}`;
    return renderPage(
      c,
      deps,
      { title: t.volunteersTitle },
      <VolunteerList
        lang={c.get('page').lang}
        q={q}
        items={page.items}
        units={new Map(units.map((u) => [u.id, u.name]))}
        nextHref={page.nextCursor ? `${base}&cursor=${encodeURIComponent(page.nextCursor)}` : undefined}
        firstHref={cursor ? base : undefined}
      />,
    );
  });

  app.get('/volunteers/new', async (c) => {
    const actor = pageActor(c, 'organiser');
    const units = await unitsInScope(deps, actor);
    return renderPage(c, deps, { title: stringsOf(c).registerTitle }, <RegisterForm lang={c.get('page').lang} units={units} values={{ orgUnitId: actor.orgUnitId }} errors={{}} />);
  });

  app.post('/volunteers', async (c) => {
    const actor = pageActor(c, 'organiser');
    const t = stringsOf(c);
    const form = await readForm(c, deps.config.PUBLIC_URL);
    const values: RegisterValues = { name: form.name ?? '', phone: form.phone ?? '', orgUnitId: form.orgUnitId ?? '' };
    const parsed = CreateVolunteerBody.safeParse({ name: values.name, orgUnitId: values.orgUnitId, ...(values.phone?.trim() ? { phone: values.phone } : {}) });
    if (!parsed.success) {
      const units = await unitsInScope(deps, actor);
      const errors = registerErrors(t, fieldErrors(parsed.error));
      if (errors.name && (values.name ?? '').trim().length > 200) errors.name = t.nameTooLong;
      return renderPage(c, deps, { title: t.registerTitle, status: 400 }, <RegisterForm lang={c.get('page').lang} units={units} values={values} errors={errors} />);
    }
    const volunteer = await createVolunteer(deps, actor, parsed.data);
    return seeOther(`/app/desk/volunteers/${volunteer.id}?notice=registered`);
  });

  async function volunteerPage(c: DeskContext, id: string, extra: { status?: 200 | 400; values?: { points?: string; reason?: string }; errors?: FormErrors; notice?: string | undefined } = {}) {
    const actor = pageActor(c, 'organiser');
    const t = stringsOf(c);
    const volunteer = await getVolunteer(deps, actor, id);
    const [figures, statement, records, unit] = await Promise.all([
      getBalance(deps, actor, id),
      getStatement(deps, actor, id, { limit: 10 }),
      listVolunteerRecords(deps, actor, id, { limit: 20 }),
      getOrgUnit(deps, actor, volunteer.orgUnitId),
    ]);
    const notices: Record<string, string> = {
      registered: t.registered(volunteer.name),
      deactivated: t.deactivated(volunteer.name),
      awarded: t.awarded(String(Number(c.req.query('points') ?? 0)), volunteer.name),
      corrected: t.corrected,
    };
    return renderPage(
      c,
      deps,
      { title: t.volunteerTitle(volunteer.name), status: extra.status ?? 200 },
      <VolunteerDetail
        lang={c.get('page').lang}
        timeZone={timeZone}
        volunteer={volunteer}
        unitName={unit.name}
        figures={figures}
        statement={statement.items}
        records={records.items}
        awardKey={randomUUID()}
        awardValues={extra.values ?? {}}
        errors={extra.errors ?? {}}
        notice={extra.notice ?? notices[c.req.query('notice') ?? '']}
      />,
    );
  }

  app.get('/volunteers/:id', async (c) => {
    const id = c.req.param('id');
    if (!validId(id)) notFound();
    return volunteerPage(c, id);
  });

  app.get('/volunteers/:id/statement', async (c) => {
    const actor = pageActor(c, 'organiser');
    const id = c.req.param('id');
    if (!validId(id)) notFound();
    const cursor = c.req.query('cursor');
    const volunteer = await getVolunteer(deps, actor, id);
    const page = await getStatement(deps, actor, id, { limit: pageSize, cursor: cursor || undefined });
    const base = `/app/desk/volunteers/${id}/statement`;
    return renderPage(
      c,
      deps,
      { title: stringsOf(c).statementPageTitle(volunteer.name) },
      <StatementPage
        lang={c.get('page').lang}
        timeZone={timeZone}
        volunteer={volunteer}
        lines={page.items}
        olderHref={page.nextCursor ? `${base}?cursor=${encodeURIComponent(page.nextCursor)}` : undefined}
        newestHref={cursor ? base : undefined}
      />,
    );
  });

  app.post('/volunteers/:id/award', async (c) => {
    const actor = pageActor(c, 'organiser');
    const t = stringsOf(c);
    const id = c.req.param('id');
    if (!validId(id)) notFound();
    const form = await readForm(c, deps.config.PUBLIC_URL);
    const points = (form.points ?? '').trim();
    const input = AwardBody.safeParse({ volunteerId: id, points: /^\d{1,7}$/.test(points) ? Number(points) : Number.NaN, reason: form.reason ?? '' });
    if (!input.success) {
      const errors = errorsByField(fieldErrors(input.error), (field) => ({ points: t.pointsInvalid, reason: t.reasonRequired })[field]);
      return volunteerPage(c, id, { status: 400, values: { points, reason: form.reason ?? '' }, errors });
    }
    const awarded = await awardPoints(deps, actor, input.data, idempotencyScope(actor, form.key, 'award', input.data, true));
    return seeOther(`/app/desk/volunteers/${id}?notice=awarded&points=${awarded.body.points}`);
  });

  app.post('/volunteers/:id/deactivate', async (c) => {
    const actor = pageActor(c, 'organiser');
    const id = c.req.param('id');
    if (!validId(id)) notFound();
    await readForm(c, deps.config.PUBLIC_URL);
    await deactivateVolunteer(deps, actor, id);
    return seeOther(`/app/desk/volunteers/${id}?notice=deactivated`);
  });

  // A sheet of sign-in cards: a page answering the post itself, since the codes exist only now
  // (the service keeps their hashes); printed again, each card gets a new code and voids the old.
  app.post('/cards', async (c) => {
    const actor = pageActor(c, 'organiser');
    const t = stringsOf(c);
    const { all } = await readSheetForm(c, deps.config.PUBLIC_URL);
    const ids = [...new Set((all.get('id') ?? []).filter(validId).map((id) => id.toLowerCase()))];
    if (ids.length === 0) return seeOther('/app/desk/volunteers');
    if (ids.length > cardsPerSheetMax) {
      return renderPage(c, deps, { title: t.cardsTitle, status: 400 }, <SignInCards lang={c.get('page').lang} timeZone={timeZone} cards={[]} refused={t.cardsTooMany} />);
    }
    const cards = [];
    for (const id of ids) {
      const volunteer = await getVolunteer(deps, actor, id);
      const code = await issueSignInCode(deps, actor, { role: 'volunteer', principalId: volunteer.id, expiresInSeconds: deps.config.SIGN_IN_CARD_TTL_SECONDS });
      cards.push({ name: volunteer.name, url: code.url, expiresAt: code.expiresAt, svg: await qrSvg(code.url) });
    }
    return renderPage(c, deps, { title: t.cardsTitle, printable: true }, <SignInCards lang={c.get('page').lang} timeZone={timeZone} cards={cards} />);
  });

  // Activities ---------------------------------------------------------------------------------

  app.get('/activities', async (c) => {
    const actor = pageActor(c, 'organiser');
    const today = todayIn(timeZone);
    const midnight = (day: string) => zonedInstant(day, '00:00', timeZone).toISOString();
    const [todays, upcoming] = await Promise.all([
      listActivities(deps, actor, { orgUnitId: actor.orgUnitId, from: midnight(today), to: midnight(nextDay(today)), limit: 100 }),
      listActivities(deps, actor, { orgUnitId: actor.orgUnitId, from: midnight(nextDay(today)), to: midnight(nextDay(today, upcomingDays + 1)), limit: 100 }),
    ]);
    return renderPage(c, deps, { title: stringsOf(c).activitiesTitle }, <ActivityList lang={c.get('page').lang} timeZone={timeZone} today={todays.items} upcoming={upcoming.items} />);
  });

  async function activityForm(c: DeskContext, actor: Organiser, values: ActivityValues, errors: FormErrors) {
    const [units, types] = await Promise.all([unitsInScope(deps, actor), listActivityTypes(deps, actor, { limit: 200 })]);
    return renderPage(
      c,
      deps,
      { title: stringsOf(c).createTitle, status: Object.keys(errors).length > 0 ? 400 : 200 },
      <CreateActivityForm lang={c.get('page').lang} units={units} types={types.items} values={values} errors={errors} />,
    );
  }

  app.get('/activities/new', async (c) => {
    const actor = pageActor(c, 'organiser');
    return activityForm(c, actor, { orgUnitId: actor.orgUnitId, date: todayIn(timeZone), start: '09:00', end: '11:00' }, {});
  });

  app.post('/activities', async (c) => {
    const actor = pageActor(c, 'organiser');
    const t = stringsOf(c);
    const form = await readForm(c, deps.config.PUBLIC_URL);
    const values: ActivityValues = {
      title: form.title ?? '',
      typeCode: form.typeCode ?? '',
      orgUnitId: form.orgUnitId ?? '',
      date: (form.date ?? '').trim(),
      start: form.start ?? '',
      end: form.end ?? '',
      place: form.place ?? '',
      capacity: (form.capacity ?? '').trim(),
    };
    const errors: FormErrors = {};
    const start = normaliseTime(values.start ?? '');
    const end = normaliseTime(values.end ?? '');
    if (!isCalendarDay(values.date ?? '')) errors.date = t.dateInvalid;
    if (!start) errors.start = t.timeInvalid;
    if (!end) errors.end = t.timeInvalid;
    if (values.capacity && !/^\d{1,6}$/.test(values.capacity)) errors.capacity = t.capacityInvalid;
    const startsAt = start && !errors.date ? zonedInstant(values.date!, start, timeZone).toISOString() : '';
    const endsAt = end && !errors.date ? zonedInstant(values.date!, end, timeZone).toISOString() : '';
    const parsed = CreateActivityBody.safeParse({
      title: values.title,
      typeCode: values.typeCode,
      orgUnitId: values.orgUnitId,
      startsAt: startsAt || new Date(0).toISOString(),
      endsAt: endsAt || new Date(1).toISOString(),
      ...(values.place?.trim() ? { place: values.place } : {}),
      ...(values.capacity && !errors.capacity ? { capacity: Number(values.capacity) } : {}),
    });
    if (!parsed.success) {
      const words: Record<string, string> = { title: t.titleRequired, typeCode: t.typeRequired, orgUnitId: t.unitRequired, endsAt: t.endBeforeStart, capacity: t.capacityInvalid, place: t.placeLabel };
      for (const [field, message] of Object.entries(errorsByField(fieldErrors(parsed.error), (f) => words[f]))) {
        const at = field === 'endsAt' ? 'end' : field === 'startsAt' ? 'start' : field;
        if (!(at in errors) && !(at === 'end' && (errors.start || errors.date))) errors[at] = message;
      }
    }
    if (!parsed.success || Object.keys(errors).length > 0) return activityForm(c, actor, values, errors);
    try {
      const activity = await createActivity(deps, actor, parsed.data);
      return seeOther(`/app/desk/activities/${activity.id}?notice=created`);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'validation_failed') return activityForm(c, actor, values, { typeCode: t.typeRequired });
      throw error;
    }
  });

  app.get('/activities/:id', async (c) => {
    const actor = pageActor(c, 'organiser');
    const id = c.req.param('id');
    if (!validId(id)) notFound();
    const { head, items } = await participantsOf(deps, actor, id);
    const activity = await getActivity(deps, actor, id);
    const unit = await getOrgUnit(deps, actor, activity.orgUnitId);
    const t = stringsOf(c);
    return renderPage(
      c,
      deps,
      { title: activity.title, scripts: ['desk.js'] },
      <ActivityDetail lang={c.get('page').lang} timeZone={timeZone} activity={activity} unitName={unit.name} participants={items} outside={head.participantsOutsideScope} notice={c.req.query('notice') === 'created' ? t.created(activity.title) : undefined} />,
    );
  });

  app.get('/activities/:id/live', async (c) => {
    const actor = pageActor(c, 'organiser');
    const id = c.req.param('id');
    if (!validId(id)) notFound();
    const { head, items } = await participantsOf(deps, actor, id);
    return fragment(<LiveParticipants lang={c.get('page').lang} activityId={id} items={items} outside={head.participantsOutsideScope} />);
  });

  app.get('/activities/:id/check-in', async (c) => {
    const actor = pageActor(c, 'organiser');
    const id = c.req.param('id');
    if (!validId(id)) notFound();
    const { shown, svg } = await shownCode(deps, actor, id);
    const activity = await getActivity(deps, actor, id);
    return renderPage(c, deps, { title: stringsOf(c).projectorTitle(activity.title), scripts: ['desk.js'] }, <Projector lang={c.get('page').lang} activity={activity} shown={shown} svg={svg} />);
  });

  app.get('/activities/:id/check-in/live', async (c) => {
    const actor = pageActor(c, 'organiser');
    const id = c.req.param('id');
    if (!validId(id)) notFound();
    const { shown, svg } = await shownCode(deps, actor, id);
    return fragment(<LiveCode lang={c.get('page').lang} activityId={id} shown={shown} svg={svg} />);
  });

  // Hours --------------------------------------------------------------------------------------

  async function queuePage(c: DeskContext, extra: { notice?: string | undefined; error?: string | undefined; status?: 200 | 400 | 409 } = {}) {
    const actor = pageActor(c, 'organiser');
    const t = stringsOf(c);
    const activityId = c.req.query('activityId');
    const cursor = c.req.query('cursor');
    const page = await listManagedRecords(deps, actor, { status: 'pending', activityId: validId(activityId) ? activityId : undefined, limit: pageSize, cursor: cursor || undefined });
    const base = `/app/desk/hours?${new URLSearchParams(validId(activityId) ? { activityId } : {})}`;
    const n = Number(c.req.query('n') ?? 0);
    const notices: Record<string, string> = { approved: t.approvedCount(n), rejected: t.rejectedCount(n) };
    return renderPage(
      c,
      deps,
      { title: t.hoursTitle, status: extra.status ?? 200 },
      <Queue
        lang={c.get('page').lang}
        timeZone={timeZone}
        items={page.items as QueuedRecord[]}
        activityId={validId(activityId) ? activityId : undefined}
        nextHref={page.nextCursor ? `${base}&cursor=${encodeURIComponent(page.nextCursor)}` : undefined}
        firstHref={cursor ? base : undefined}
        notice={extra.notice ?? notices[c.req.query('notice') ?? '']}
        error={extra.error}
      />,
    );
  }

  app.get('/hours', (c) => queuePage(c));

  app.post('/hours/decide', async (c) => {
    const actor = pageActor(c, 'organiser');
    const { fields, all } = await readSheetForm(c, deps.config.PUBLIC_URL);
    const reason = fields.reason?.trim() ? fields.reason.trim().slice(0, 500) : undefined;
    const back = validId(fields.activityId) ? `&activityId=${fields.activityId}` : '';
    try {
      const one = /^(approve|reject):([0-9a-f-]{36})$/i.exec(fields.one ?? '');
      if (one) {
        const decision = one[1] === 'approve' ? 'approve' : 'reject';
        await decideOne(deps, actor, one[2]!, decision, { reason: decision === 'reject' ? reason : undefined }, undefined);
        return seeOther(`/app/desk/hours?notice=${decision === 'approve' ? 'approved' : 'rejected'}&n=1${back}`);
      }
      const ids = (all.get('id') ?? []).filter(validId).slice(0, 1000);
      if ((fields.all === 'approve' || fields.all === 'reject') && ids.length > 0) {
        const decision = fields.all;
        const decided = await decideQueued(deps, actor, decision, { recordIds: ids, reason: decision === 'reject' ? reason : undefined }, undefined);
        return seeOther(`/app/desk/hours?notice=${decision === 'approve' ? 'approved' : 'rejected'}&n=${decided.body.records.length}${back}`);
      }
      return seeOther(`/app/desk/hours${back ? `?${back.slice(1)}` : ''}`);
    } catch (error) {
      // Someone else decided meanwhile, or a record moved out of reach: say so above the fresh queue.
      if (error instanceof DomainError && (error.code === 'conflict' || error.code === 'validation_failed' || error.code === 'inactive' || error.code === 'not_found')) {
        return queuePage(c, { error: error.message, status: 409 });
      }
      throw error;
    }
  });

  async function bulkForm(c: DeskContext, actor: Organiser, values: { activityId?: string | undefined; sheet?: string | undefined }, errors: FormErrors) {
    const activities = await recordableActivities(deps, actor);
    return renderPage(
      c,
      deps,
      { title: stringsOf(c).bulkTitle, status: Object.keys(errors).length > 0 ? 400 : 200 },
      <BulkForm lang={c.get('page').lang} timeZone={timeZone} activities={activities} activityId={values.activityId} sheet={values.sheet} errors={errors} />,
    );
  }

  app.get('/hours/bulk', async (c) => {
    const actor = pageActor(c, 'organiser');
    const activityId = c.req.query('activityId');
    return bulkForm(c, actor, { activityId: validId(activityId) ? activityId : undefined }, {});
  });

  /** Reads the sheet (pasted text, or a file) or says what is wrong with the form. */
  async function sheetFrom(t: DeskStrings, fields: Record<string, string>, file: { name: string; bytes: Buffer } | undefined): Promise<{ sheet?: ParsedSheet; text: string; errors: FormErrors }> {
    const errors: FormErrors = {};
    if (!validId(fields.activityId)) errors.activityId = t.bulkNoActivity;
    const text = fields.sheet ?? '';
    if (!file && text.trim() === '') return { text, errors: { ...errors, sheet: t.bulkNothing } };
    try {
      const sheet = file ? await parseSheetFile(file.name, file.bytes) : parseSheetText(text);
      return { sheet, text: file ? sheetAsText(sheet) : text, errors };
    } catch (error) {
      if (error instanceof SheetError) return { text, errors: { ...errors, sheet: sheetErrorText(t, error) } };
      throw error;
    }
  }

  app.post('/hours/bulk/preview', async (c) => {
    const actor = pageActor(c, 'organiser');
    const t = stringsOf(c);
    const { fields, file } = await readSheetForm(c, deps.config.PUBLIC_URL);
    const { sheet, text, errors } = await sheetFrom(t, fields, file);
    if (!sheet || Object.keys(errors).length > 0) return bulkForm(c, actor, { activityId: fields.activityId, sheet: text }, errors);
    const activityId = fields.activityId!;
    const [preview, activity, activities] = await Promise.all([previewSheet(deps, actor, activityId, sheet), getActivity(deps, actor, activityId), recordableActivities(deps, actor)]);
    return renderPage(
      c,
      deps,
      { title: t.bulkPreviewTitle },
      <BulkPreview lang={c.get('page').lang} timeZone={timeZone} activity={activity} activities={activities} rows={preview.rows} bad={preview.bad} sheet={text} entryKey={randomUUID()} />,
    );
  });

  app.post('/hours/bulk', async (c) => {
    const actor = pageActor(c, 'organiser');
    const t = stringsOf(c);
    const { fields } = await readSheetForm(c, deps.config.PUBLIC_URL);
    const text = Buffer.from(fields.sheet ?? '', 'base64').toString('utf8');
    const { sheet, errors } = await sheetFrom(t, { ...fields, sheet: text }, undefined);
    if (!sheet || Object.keys(errors).length > 0) return bulkForm(c, actor, { activityId: fields.activityId, sheet: text }, errors);
    const activityId = fields.activityId!;
    try {
      const entered = await enterSheet(deps, actor, activityId, sheet, fields.key);
      return seeOther(`/app/desk/hours/bulk/done?activityId=${activityId}&n=${entered.recorded}${entered.replayed ? '&again=1' : ''}`);
    } catch (error) {
      // A row went bad since the preview (someone entered it, someone left): show the preview again.
      if (error instanceof DomainError && (error.code === 'validation_failed' || error.code === 'conflict')) {
        const [preview, activity, activities] = await Promise.all([previewSheet(deps, actor, activityId, sheet), getActivity(deps, actor, activityId), recordableActivities(deps, actor)]);
        return renderPage(
          c,
          deps,
          { title: t.bulkPreviewTitle, status: 409 },
          <BulkPreview lang={c.get('page').lang} timeZone={timeZone} activity={activity} activities={activities} rows={preview.rows} bad={preview.bad} sheet={text} entryKey={randomUUID()} />,
        );
      }
      throw error;
    }
  });

  app.get('/hours/bulk/done', async (c) => {
    const actor = pageActor(c, 'organiser');
    const activityId = c.req.query('activityId');
    if (!validId(activityId)) notFound();
    const { head } = await participantsOf(deps, actor, activityId);
    const activity = await getActivity(deps, actor, head.activity.id);
    const count = Math.max(0, Math.min(1000, Number(c.req.query('n') ?? 0) || 0));
    return renderPage(c, deps, { title: stringsOf(c).bulkDone(count) }, <BulkDone lang={c.get('page').lang} activity={activity} count={count} replayed={c.req.query('again') === '1'} />);
  });

  app.get('/hours/:id/correct', async (c) => {
    const actor = pageActor(c, 'organiser');
    const id = c.req.param('id');
    if (!validId(id)) notFound();
    const record = await getRecord(deps, actor, id);
    return renderPage(c, deps, { title: stringsOf(c).correctTitle }, <CorrectionForm lang={c.get('page').lang} record={record} values={{}} errors={{}} entryKey={randomUUID()} />);
  });

  app.post('/hours/:id/correct', async (c) => {
    const actor = pageActor(c, 'organiser');
    const t = stringsOf(c);
    const id = c.req.param('id');
    if (!validId(id)) notFound();
    const form = await readForm(c, deps.config.PUBLIC_URL);
    const record = await getRecord(deps, actor, id);
    const number = (text: string | undefined) => (text !== undefined && /^\d{1,5}$/.test(text.trim()) ? Number(text.trim()) : text === undefined || text.trim() === '' ? undefined : Number.NaN);
    const values = { minutes: form.minutes ?? '', units: form.units ?? '', reason: form.reason ?? '' };
    const parsed = CorrectionBody.safeParse({ minutes: number(form.minutes), units: number(form.units), reason: form.reason ?? '' });
    const words: Record<string, string> = { minutes: t.minutesInvalid, units: t.unitsInvalid, reason: t.reasonRequired };
    const refuse = (errors: FormErrors) =>
      renderPage(c, deps, { title: t.correctTitle, status: 400 }, <CorrectionForm lang={c.get('page').lang} record={record} values={values} errors={errors} entryKey={form.key ?? randomUUID()} />);
    if (!parsed.success) return refuse(errorsByField(fieldErrors(parsed.error), (f) => words[f]));
    try {
      await correctRecord(deps, actor, id, parsed.data, idempotencyScope(actor, form.key, `correct:${id}`, parsed.data, true));
    } catch (error) {
      if (error instanceof DomainError && error.code === 'validation_failed') return refuse(errorsByField((error.extensions.errors as { path: string; message: string }[] | undefined) ?? [{ path: 'minutes', message: error.message }], (f) => words[f]));
      if (error instanceof DomainError && (error.code === 'conflict' || error.code === 'insufficient_points')) return refuse({ minutes: error.message });
      throw error;
    }
    return seeOther(`/app/desk/volunteers/${record.volunteerId}?notice=corrected`);
  });

  // Reports ------------------------------------------------------------------------------------

  app.get('/reports', async (c) => {
    const actor = pageActor(c, 'organiser');
    const [months, leaderboard] = await Promise.all([monthsReport(deps, actor, {}), leaderboardReport(deps, actor, { period: 'month', by: 'hours', limit: 10 })]);
    return renderPage(c, deps, { title: stringsOf(c).reportsTitle }, <Reports lang={c.get('page').lang} months={months} leaderboard={leaderboard} />);
  });

  app.get('/reports/months.csv', async (c) => {
    const actor = pageActor(c, 'organiser');
    const { items, ...head } = await monthsReport(deps, actor, {});
    return sendCsv(c, { head, batches: inHand(items) }, monthsCsv(head));
  });

  app.get('/reports/activities/:ref', async (c) => {
    const actor = pageActor(c, 'organiser');
    const ref = c.req.param('ref');
    const csv = ref.endsWith('.csv');
    const id = csv ? ref.slice(0, -4) : ref;
    if (!validId(id)) notFound();
    if (csv) return sendCsv(c, await activityReport(deps, actor, id), activityCsv);
    const { head, items } = await participantsOf(deps, actor, id);
    return renderPage(c, deps, { title: stringsOf(c).activityReportTitle(head.activity.title) }, <ActivityReportPage lang={c.get('page').lang} timeZone={timeZone} head={head} items={items} />);
  });

  return app;
}

import { Hono, type Context } from 'hono';
import type { Actor } from '../../auth/actor.js';
import { CreateActivityTypeBody, RuleBody, type ActivityType, type PointRule } from '../../activitytypes/schemas.js';
import { changeRule, createActivityType, getActivityType, listActivityTypes, listRuleVersions } from '../../activitytypes/service.js';
import { DomainError } from '../../errors.js';
import type { Merchant } from '../../merchants/schemas.js';
import { getMerchant, listMerchants } from '../../merchants/service.js';
import { CreatePackBody, UpdatePackBody, type Pack } from '../../packs/schemas.js';
import { createPack, getPack, listMerchantPacks, updatePack } from '../../packs/service.js';
import { Button, ErrorSummary, Field, Outcome, PostForm, SummaryList, Table } from '../common/components.js';
import type { PageDeps, PageEnv } from '../common/env.js';
import { formatDateTime, formatNumber, type Lang } from '../common/i18n.js';
import { renderPage, seeOther } from '../common/render.js';
import { pageActor, readForm } from '../common/session.js';
import { sharedStrings } from '../common/strings.js';
import { errorFor, optionalWholeNumber, parseWith, SelectField, wholeNumber, type FormError } from './forms.js';
import { BackToOffice } from './home.js';
import { officeStrings, type OfficeStrings } from './strings.js';

/** Types and shops listed on one page; a programme has a few dozen of each. */
const typesMax = 200;
const merchantsMax = 200;
const packsMax = 200;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const typeCodePattern = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const isoDay = /^(2\d{3})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** The instant a calendar day starts in a time zone (the programme's), as ISO 8601. */
export function dayStart(day: string, timeZone: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d);
  // The zone's offset at that moment: format the instant there and read the difference back.
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(guess));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return new Date(guess - (local - guess)).toISOString();
}

/** The day after `day` (for a window's last day, which ends when the next begins). */
export function nextDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** The calendar day of an instant in a time zone. */
export const dayOf = (at: string, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date(at));

const ruleKinds = (t: OfficeStrings) => [
  { value: 'per_hour', label: t.rulePerHour },
  { value: 'per_unit', label: t.rulePerUnit },
  { value: 'fixed', label: t.ruleFixed },
];

function TypesPage(props: { lang: Lang; types: ActivityType[]; added?: string | undefined; form: { code: string; name: string; kind: string; points: string }; errors: FormError[] }) {
  const { lang, errors, form } = props;
  const t = officeStrings[lang];
  const prefix = sharedStrings[lang].errorPrefix;
  return (
    <>
      <BackToOffice lang={lang} />
      <h1>{t.typesTitle}</h1>
      <p>{t.typesLead}</p>
      {props.added && <Outcome tone="ok" title={t.typeAdded(props.added)} id="added" />}
      <Table
        id="types"
        caption={t.typesTitle}
        head={[t.typeName, t.typeCode, t.ruleNow, t.ruleVersion]}
        numeric={[3]}
        empty={t.none}
        rows={props.types.map((type) => [<a href={`/app/office/types/${type.code}`}>{type.name}</a>, <code>{type.code}</code>, t.ruleText(type.rule.kind, type.rule.points), String(type.rule.version)])}
      />
      <h2>{t.addType}</h2>
      <ErrorSummary title={t.fixError} errors={errors} />
      <PostForm action="/app/office/types" id="type-form">
        <Field id="name" label={t.typeName} error={errorFor(errors, 'name')} errorPrefix={prefix} value={form.name} maxlength={200} autocomplete="off" />
        <Field id="code" label={t.typeCode} hint={t.typeCodeHint} error={errorFor(errors, 'code')} errorPrefix={prefix} value={form.code} maxlength={64} autocomplete="off" spellcheck={false} autocapitalize="off" />
        <SelectField lang={lang} id="kind" label={t.ruleKind} error={errorFor(errors, 'kind')} value={form.kind} options={ruleKinds(t)} />
        <Field id="points" label={t.rulePoints} error={errorFor(errors, 'points')} errorPrefix={prefix} value={form.points} inputmode="numeric" autocomplete="off" />
        <Button>{t.addTypeButton}</Button>
      </PostForm>
    </>
  );
}

function TypePage(props: { lang: Lang; timeZone: string; type: ActivityType; versions: PointRule[]; changed?: number | undefined; form: { kind: string; points: string }; errors: FormError[] }) {
  const { lang, errors, type } = props;
  const t = officeStrings[lang];
  return (
    <>
      <BackToOffice lang={lang} />
      <p>
        <a href="/app/office/types">{t.typesTitle}</a>
      </p>
      <h1>{t.typeTitle(type.name)}</h1>
      {props.changed !== undefined && <Outcome tone="ok" title={t.ruleChanged(props.changed)} id="changed" />}
      <SummaryList rows={[[t.typeCode, <code>{type.code}</code>], [t.ruleNow, <span id="rule-now">{t.ruleText(type.rule.kind, type.rule.points)}</span>]]} />
      <Table
        id="versions"
        caption={t.versions}
        head={[t.ruleVersion, t.ruleNow, t.ruleSince]}
        rows={props.versions.map((v) => [String(v.version), t.ruleText(v.kind, v.points), formatDateTime(lang, v.createdAt, props.timeZone)])}
      />
      <h2>{t.changeRule}</h2>
      <ErrorSummary title={t.fixError} errors={errors} />
      <PostForm action={`/app/office/types/${type.code}/rules`} id="rule-form">
        <SelectField lang={lang} id="kind" label={t.ruleKind} error={errorFor(errors, 'kind')} value={props.form.kind} options={ruleKinds(t)} />
        <Field id="points" label={t.rulePoints} error={errorFor(errors, 'points')} errorPrefix={sharedStrings[lang].errorPrefix} value={props.form.points} inputmode="numeric" autocomplete="off" />
        <Button>{t.changeRuleButton}</Button>
      </PostForm>
    </>
  );
}

interface PackForm {
  merchantId: string;
  title: string;
  points: string;
  stock: string;
  from: string;
  until: string;
  minStars: string;
  status: string;
}

const emptyPackForm = (merchantId: string): PackForm => ({ merchantId, title: '', points: '', stock: '', from: '', until: '', minStars: '', status: 'active' });

function packStatusWord(t: OfficeStrings, status: Pack['status']) {
  return status === 'active' ? t.packActive : status === 'paused' ? t.packPaused : t.packRetired;
}

function windowText(t: OfficeStrings, pack: Pack, timeZone: string) {
  if (!pack.validFrom && !pack.validUntil) return t.always;
  const until = pack.validUntil ? dayOf(new Date(new Date(pack.validUntil).getTime() - 1).toISOString(), timeZone) : '…';
  return `${pack.validFrom ? dayOf(pack.validFrom, timeZone) : '…'} – ${until}`;
}

function PacksPage(props: { lang: Lang; timeZone: string; merchants: Merchant[]; merchantId: string; packs: Pack[]; done?: string | undefined; form: PackForm; errors: FormError[] }) {
  const { lang, errors, form } = props;
  const t = officeStrings[lang];
  const n = (v: number) => formatNumber(lang, v);
  const prefix = sharedStrings[lang].errorPrefix;
  const shops = props.merchants.map((m) => ({ value: m.id, label: m.name }));
  return (
    <>
      <BackToOffice lang={lang} />
      <h1>{t.packsTitle}</h1>
      <p>{t.packsLead}</p>
      {props.done && <Outcome tone="ok" title={props.done} id="done" />}
      <form method="get" action="/app/office/packs" class="filters">
        <SelectField lang={lang} id="merchant" label={t.packMerchant} value={props.merchantId} options={shops} />
        <Button variant="secondary">{t.show}</Button>
      </form>
      <h2>{props.merchants.find((m) => m.id === props.merchantId)?.name ?? t.packsTitle}</h2>
      {props.packs.length === 0 ? (
        <p class="empty">{t.none}</p>
      ) : (
        <ul class="cards" id="packs" aria-label={t.packsTitle}>
          {props.packs.map((p) => (
            <li class="card">
              <h3 class="card-title">
                <a href={`/app/office/packs/${p.id}`}>{p.title}</a>
              </h3>
              <SummaryList
                rows={[
                  [t.packPoints, n(p.points)],
                  [t.packLeft, p.stockLeft === null ? t.unlimited : `${n(p.stockLeft)} / ${n(p.stock ?? 0)}`],
                  [t.packWindow, windowText(t, p, props.timeZone)],
                  [t.packStatus, packStatusWord(t, p.status)],
                ]}
              />
            </li>
          ))}
        </ul>
      )}
      <h2>{t.addPack}</h2>
      <ErrorSummary title={t.fixError} errors={errors} />
      <PostForm action="/app/office/packs" id="pack-form">
        <SelectField lang={lang} id="merchantId" label={t.packMerchant} error={errorFor(errors, 'merchantId')} value={form.merchantId} options={shops} />
        <Field id="title" label={t.packTitle} error={errorFor(errors, 'title')} errorPrefix={prefix} value={form.title} maxlength={200} autocomplete="off" />
        <Field id="points" label={t.packPoints} error={errorFor(errors, 'points')} errorPrefix={prefix} value={form.points} inputmode="numeric" autocomplete="off" />
        <Field id="stock" label={t.packStock} hint={t.packStockHint} error={errorFor(errors, 'stock')} errorPrefix={prefix} value={form.stock} inputmode="numeric" autocomplete="off" />
        <Field id="from" label={t.packFrom} hint={t.packDateHint} error={errorFor(errors, 'from')} errorPrefix={prefix} value={form.from} inputmode="numeric" autocomplete="off" />
        <Field id="until" label={t.packUntil} hint={t.packDateHint} error={errorFor(errors, 'until')} errorPrefix={prefix} value={form.until} inputmode="numeric" autocomplete="off" />
        <Field id="minStars" label={t.packMinStars} error={errorFor(errors, 'minStars')} errorPrefix={prefix} value={form.minStars} inputmode="numeric" autocomplete="off" />
        <Button>{t.addPackButton}</Button>
      </PostForm>
    </>
  );
}

function PackPage(props: { lang: Lang; timeZone: string; pack: Pack; merchant: Merchant; saved?: boolean; form: PackForm; errors: FormError[] }) {
  const { lang, errors, form, pack } = props;
  const t = officeStrings[lang];
  const n = (v: number) => formatNumber(lang, v);
  const prefix = sharedStrings[lang].errorPrefix;
  const statuses = pack.status === 'retired' ? [{ value: 'retired', label: t.packRetired }] : [
    { value: 'active', label: t.packActive },
    { value: 'paused', label: t.packPaused },
    { value: 'retired', label: t.packRetired },
  ];
  return (
    <>
      <BackToOffice lang={lang} />
      <p>
        <a href={`/app/office/packs?merchant=${pack.merchantId}`}>{t.packsTitle}</a>
      </p>
      <h1>{t.packPageTitle(pack.title)}</h1>
      {props.saved && <Outcome tone="ok" title={t.packSaved(pack.title)} id="done" />}
      <SummaryList
        rows={[
          [t.packMerchant, props.merchant.name],
          [t.packPoints, n(pack.points)],
          [t.packLeft, pack.stockLeft === null ? t.unlimited : `${n(pack.stockLeft)} / ${n(pack.stock ?? 0)}`],
          [t.packWindow, <span id="pack-window">{windowText(t, pack, props.timeZone)}</span>],
          [t.packStatus, <span id="pack-status">{packStatusWord(t, pack.status)}</span>],
        ]}
      />
      <h2>{t.editPack}</h2>
      <ErrorSummary title={t.fixError} errors={errors} />
      <PostForm action={`/app/office/packs/${pack.id}`} id="edit-form">
        <Field id="title" label={t.packTitle} error={errorFor(errors, 'title')} errorPrefix={prefix} value={form.title} maxlength={200} autocomplete="off" />
        <Field id="from" label={t.packFrom} hint={t.packDateHint} error={errorFor(errors, 'from')} errorPrefix={prefix} value={form.from} inputmode="numeric" autocomplete="off" />
        <Field id="until" label={t.packUntil} hint={t.packDateHint} error={errorFor(errors, 'until')} errorPrefix={prefix} value={form.until} inputmode="numeric" autocomplete="off" />
        <SelectField lang={lang} id="status" label={t.packStatus} error={errorFor(errors, 'status')} value={form.status} options={statuses} />
        <Button>{t.savePack}</Button>
      </PostForm>
    </>
  );
}

/**
 * A pack window typed as days: the first day from its start, the last day to its end, in the
 * programme's time zone. Empty is no limit; anything else that is not a day is a field error.
 */
function windowFrom(form: PackForm, tz: string, t: OfficeStrings): { ok: true; validFrom: string | null; validUntil: string | null } | { ok: false; errors: FormError[] } {
  const errors: FormError[] = [];
  const from = form.from.trim();
  const until = form.until.trim();
  if (from && !isoDay.test(from)) errors.push({ field: 'from', message: t.packDateError });
  if (until && !isoDay.test(until)) errors.push({ field: 'until', message: t.packDateError });
  if (errors.length === 0 && from && until && until < from) errors.push({ field: 'until', message: t.packDateError });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, validFrom: from ? dayStart(from, tz) : null, validUntil: until ? dayStart(nextDay(until), tz) : null };
}

/** Activity types with their rule versions, and benefit packs: what the programme offers. */
export function catalogueRoutes(deps: PageDeps) {
  const app = new Hono<PageEnv>();
  const tz = deps.config.PROGRAMME_TIME_ZONE;
  const admin = (c: Context<PageEnv>): Actor => pageActor(c, 'admin');

  const typesPage = async (c: Context<PageEnv>, form: { code: string; name: string; kind: string; points: string }, errors: FormError[], status: 200 | 400 | 409, added?: string) => {
    const { lang } = c.get('page');
    const types = await listActivityTypes(deps, admin(c), { limit: typesMax });
    return renderPage(c, deps, { title: officeStrings[lang].typesTitle, status }, <TypesPage lang={lang} types={types.items} added={added} form={form} errors={errors} />);
  };

  app.get('/types', async (c) => {
    const added = c.req.query('added');
    const type = added && typeCodePattern.test(added) ? await getActivityType(deps, admin(c), added).catch(() => undefined) : undefined;
    return typesPage(c, { code: '', name: '', kind: 'per_hour', points: '' }, [], 200, type?.name);
  });

  app.post('/types', async (c) => {
    const t = officeStrings[c.get('page').lang];
    const form = await readForm(c, deps.config.PUBLIC_URL);
    const values = { code: (form.code ?? '').trim(), name: (form.name ?? '').trim(), kind: form.kind ?? '', points: (form.points ?? '').trim() };
    const parsed = parseWith(
      CreateActivityTypeBody,
      { code: values.code, name: values.name, rule: { kind: values.kind, points: wholeNumber(values.points) } },
      { code: t.typeCodeError, name: t.nameError, rule: t.rulePointsError },
      'name',
    );
    if (!parsed.ok) {
      // A rule error names the rule; say which of its two boxes is wrong.
      const ruleError = parsed.errors.find((e) => e.field === 'rule');
      const errors = parsed.errors.filter((e) => e.field !== 'rule');
      if (ruleError) {
        if (!['per_hour', 'per_unit', 'fixed'].includes(values.kind)) errors.push({ field: 'kind', message: t.ruleKindError });
        else errors.push({ field: 'points', message: t.rulePointsError });
      }
      return typesPage(c, values, errors, 400);
    }
    try {
      const type = await createActivityType(deps, admin(c), parsed.data);
      return seeOther(`/app/office/types?added=${type.code}`);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'conflict') return typesPage(c, values, [{ field: 'code', message: t.typeCodeTaken }], 409);
      throw error;
    }
  });

  const typePage = async (c: Context<PageEnv>, code: string, form: { kind: string; points: string } | undefined, errors: FormError[], status: 200 | 400, changed?: number) => {
    const { lang } = c.get('page');
    if (!typeCodePattern.test(code)) throw new DomainError('not_found', 'no such activity type');
    const [type, versions] = await Promise.all([getActivityType(deps, admin(c), code), listRuleVersions(deps, admin(c), code)]);
    return renderPage(
      c,
      deps,
      { title: officeStrings[lang].typeTitle(type.name), status },
      <TypePage lang={lang} timeZone={tz} type={type} versions={versions.items} changed={changed} form={form ?? { kind: type.rule.kind, points: String(type.rule.points) }} errors={errors} />,
    );
  };

  app.get('/types/:code', (c) => {
    const changed = Number(c.req.query('changed'));
    return typePage(c, c.req.param('code'), undefined, [], 200, Number.isSafeInteger(changed) && changed > 0 ? changed : undefined);
  });

  app.post('/types/:code/rules', async (c) => {
    const t = officeStrings[c.get('page').lang];
    const code = c.req.param('code');
    if (!typeCodePattern.test(code)) throw new DomainError('not_found', 'no such activity type');
    const form = await readForm(c, deps.config.PUBLIC_URL);
    const values = { kind: form.kind ?? '', points: (form.points ?? '').trim() };
    const parsed = parseWith(RuleBody, { kind: values.kind, points: wholeNumber(values.points) }, { kind: t.ruleKindError, points: t.rulePointsError }, 'points');
    if (!parsed.ok) return typePage(c, code, values, parsed.errors, 400);
    const rule = await changeRule(deps, admin(c), code, parsed.data);
    return seeOther(`/app/office/types/${code}?changed=${rule.version}`);
  });

  // --- Packs ------------------------------------------------------------------------------------

  const activeMerchants = async (actor: Actor) => (await listMerchants(deps, actor, { status: 'active', limit: merchantsMax })).items;

  const packsPage = async (c: Context<PageEnv>, merchantId: string | undefined, form: PackForm | undefined, errors: FormError[], status: 200 | 400 | 409, done?: string) => {
    const { lang } = c.get('page');
    const actor = admin(c);
    const merchants = await activeMerchants(actor);
    const chosen = merchants.find((m) => m.id === merchantId)?.id ?? merchants[0]?.id ?? '';
    const packs = chosen ? (await listMerchantPacks(deps, actor, chosen, { limit: packsMax })).items : [];
    return renderPage(
      c,
      deps,
      { title: officeStrings[lang].packsTitle, status },
      <PacksPage lang={lang} timeZone={tz} merchants={merchants} merchantId={chosen} packs={packs} done={done} form={form ?? emptyPackForm(chosen)} errors={errors} />,
    );
  };

  app.get('/packs', async (c) => {
    const t = officeStrings[c.get('page').lang];
    const merchant = c.req.query('merchant');
    const added = c.req.query('added');
    const pack = added && uuid.test(added) ? await getPack(deps, admin(c), added).catch(() => undefined) : undefined;
    return packsPage(c, merchant && uuid.test(merchant) ? merchant : pack?.merchantId, undefined, [], 200, pack ? t.packAdded(pack.title) : undefined);
  });

  const packFormOf = (form: Record<string, string>): PackForm => ({
    merchantId: form.merchantId ?? '',
    title: (form.title ?? '').trim(),
    points: (form.points ?? '').trim(),
    stock: (form.stock ?? '').trim(),
    from: (form.from ?? '').trim(),
    until: (form.until ?? '').trim(),
    minStars: (form.minStars ?? '').trim(),
    status: form.status ?? '',
  });

  app.post('/packs', async (c) => {
    const t = officeStrings[c.get('page').lang];
    const values = packFormOf(await readForm(c, deps.config.PUBLIC_URL));
    const window = windowFrom(values, tz, t);
    const parsed = parseWith(
      CreatePackBody,
      {
        merchantId: values.merchantId,
        title: values.title,
        points: wholeNumber(values.points),
        stock: optionalWholeNumber(values.stock),
        minStarLevel: optionalWholeNumber(values.minStars),
        ...(window.ok ? { validFrom: window.validFrom, validUntil: window.validUntil } : {}),
      },
      { merchantId: t.packMerchantError, title: t.packTitleError, points: t.packPointsError, stock: t.packStockError, minStarLevel: t.packMinStarsError, validUntil: t.packDateError },
      'title',
    );
    const errors = [...(window.ok ? [] : window.errors), ...(parsed.ok ? [] : parsed.errors.map((e) => (e.field === 'minStarLevel' ? { ...e, field: 'minStars' } : e.field === 'validUntil' ? { ...e, field: 'until' } : e)))];
    if (!parsed.ok || errors.length > 0) return packsPage(c, values.merchantId, values, errors, 400);
    try {
      const pack = await createPack(deps, admin(c), parsed.data);
      return seeOther(`/app/office/packs?added=${pack.id}`);
    } catch (error) {
      if (error instanceof DomainError && (error.code === 'validation_failed' || error.code === 'inactive')) return packsPage(c, values.merchantId, values, [{ field: 'merchantId', message: t.packMerchantError }], 400);
      throw error;
    }
  });

  const packPage = async (c: Context<PageEnv>, id: string, form: PackForm | undefined, errors: FormError[], status: 200 | 400 | 409, saved = false) => {
    const { lang } = c.get('page');
    if (!uuid.test(id)) throw new DomainError('not_found', 'no such pack');
    const actor = admin(c);
    const pack = await getPack(deps, actor, id);
    const merchant = await getMerchant(deps, actor, pack.merchantId);
    const current: PackForm = {
      ...emptyPackForm(pack.merchantId),
      title: pack.title,
      from: pack.validFrom ? dayOf(pack.validFrom, tz) : '',
      until: pack.validUntil ? dayOf(new Date(new Date(pack.validUntil).getTime() - 1).toISOString(), tz) : '',
      status: pack.status,
    };
    return renderPage(c, deps, { title: officeStrings[lang].packPageTitle(pack.title), status }, <PackPage lang={lang} timeZone={tz} pack={pack} merchant={merchant} saved={saved} form={form ?? current} errors={errors} />);
  };

  app.get('/packs/:id', (c) => packPage(c, c.req.param('id'), undefined, [], 200, c.req.query('saved') === '1'));

  app.post('/packs/:id', async (c) => {
    const t = officeStrings[c.get('page').lang];
    const id = c.req.param('id');
    if (!uuid.test(id)) throw new DomainError('not_found', 'no such pack');
    const values = packFormOf(await readForm(c, deps.config.PUBLIC_URL));
    const window = windowFrom(values, tz, t);
    const parsed = parseWith(
      UpdatePackBody,
      { title: values.title, status: values.status, ...(window.ok ? { validFrom: window.validFrom, validUntil: window.validUntil } : {}) },
      { title: t.packTitleError, status: t.packStatus, validUntil: t.packDateError },
      'title',
    );
    const errors = [...(window.ok ? [] : window.errors), ...(parsed.ok ? [] : parsed.errors.map((e) => (e.field === 'validUntil' ? { ...e, field: 'until' } : e)))];
    if (!parsed.ok || errors.length > 0) return packPage(c, id, values, errors, 400);
    try {
      await updatePack(deps, admin(c), id, parsed.data);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'conflict') return packPage(c, id, values, [{ field: 'status', message: t.packRetired }], 409);
      throw error;
    }
    return seeOther(`/app/office/packs/${id}?saved=1`);
  });

  return app;
}

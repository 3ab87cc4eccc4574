import { Hono, type Context } from 'hono';
import type { Actor } from '../../auth/actor.js';
import { DomainError } from '../../errors.js';
import { CreateMerchantBody, type Merchant } from '../../merchants/schemas.js';
import { createMerchant, deactivateMerchant, getMerchant, listMerchants } from '../../merchants/service.js';
import { CreateOrganiserBody, type Organiser } from '../../organisers/schemas.js';
import { createOrganiser, deactivateOrganiser, getOrganiser, listOrganisers } from '../../organisers/service.js';
import { CreateOrgUnitBody, type OrgUnit } from '../../orgunits/schemas.js';
import { createOrgUnit, getOrgUnit, listOrgUnits } from '../../orgunits/service.js';
import { issueSignInCode } from '../../sessions/service.js';
import { Button, ErrorSummary, Field, Outcome, Pager, PostForm, Qr, qrSvg, SummaryList } from '../common/components.js';
import type { PageDeps, PageEnv } from '../common/env.js';
import { formatDateTime, type Lang } from '../common/i18n.js';
import { renderPage, seeOther } from '../common/render.js';
import { pageActor, readForm } from '../common/session.js';
import { sharedStrings } from '../common/strings.js';
import { ActionButton, errorFor, parseWith, SelectField, type FormError } from './forms.js';
import { BackToOffice } from './home.js';
import { officeStrings } from './strings.js';

/** Units read for the tree and the unit pickers: a programme has tens or hundreds; this is the cap. */
const unitsMax = 2000;
const unitPage = 200;
/** People per page of a list. */
const peoplePage = 50;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every unit (up to unitsMax), through the same listing verb the API pages with. */
async function allUnits(deps: PageDeps, actor: Actor): Promise<OrgUnit[]> {
  const units: OrgUnit[] = [];
  let cursor: string | undefined;
  do {
    const page = await listOrgUnits(deps, actor, { limit: unitPage, cursor });
    units.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && units.length < unitsMax);
  return units;
}

/** Units in tree order (each after its parent, children in the order they were made), with their depth, for lists and pickers. */
export function treeOrder(units: OrgUnit[]): (OrgUnit & { level: number })[] {
  const children = new Map<string | null, OrgUnit[]>();
  const ids = new Set(units.map((u) => u.id));
  for (const u of units) {
    const parent = u.parentId && ids.has(u.parentId) ? u.parentId : null;
    children.set(parent, [...(children.get(parent) ?? []), u]);
  }
  const out: (OrgUnit & { level: number })[] = [];
  const walk = (parent: string | null, level: number) => {
    // Siblings in the order they were set up (第一网格 before 第二网格), not by the characters' pinyin.
    for (const u of (children.get(parent) ?? []).sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1))) {
      out.push({ ...u, level });
      if (level < 20) walk(u.id, level + 1);
    }
  };
  walk(null, 0);
  return out;
}

/** A unit's name indented by its depth, for a picker (a select cannot nest). */
const pickerLabel = (u: OrgUnit & { level: number }) => `${'\u3000'.repeat(u.level)}${u.name}`;

function UnitTree(props: { units: (OrgUnit & { level: number })[]; lang: Lang }) {
  const t = officeStrings[props.lang];
  // Nested lists built from the flat tree order: a unit's children follow it at level + 1.
  const build = (start: number, level: number): [unknown[], number] => {
    const items: unknown[] = [];
    let i = start;
    while (i < props.units.length) {
      const u = props.units[i] as OrgUnit & { level: number };
      if (u.level < level) break;
      const [kids, next] = build(i + 1, level + 1);
      items.push(
        <li>
          <span class={u.status === 'inactive' ? 'meta' : undefined}>
            {u.name}
            {u.status === 'inactive' ? ` · ${t.statusInactive}` : ''}
          </span>
          {kids.length > 0 && <ul>{kids}</ul>}
        </li>,
      );
      i = next;
    }
    return [items, i];
  };
  const [top] = build(0, 0);
  return top.length > 0 ? (
    <ul class="tree" id="unit-tree">
      {top}
    </ul>
  ) : (
    <p class="empty">{t.noUnits}</p>
  );
}

function UnitsPage(props: { lang: Lang; units: (OrgUnit & { level: number })[]; added?: string | undefined; form: { name: string; parentId: string }; errors: FormError[] }) {
  const { lang, errors } = props;
  const t = officeStrings[lang];
  return (
    <>
      <BackToOffice lang={lang} />
      <h1>{t.unitsTitle}</h1>
      <p>{t.unitsLead}</p>
      {props.added && <Outcome tone="ok" title={t.unitAdded(props.added)} id="added" />}
      <UnitTree units={props.units} lang={lang} />
      <h2>{t.addUnit}</h2>
      <ErrorSummary title={t.fixError} errors={errors} />
      <PostForm action="/app/office/units" id="unit-form">
        <Field id="name" label={t.unitName} error={errorFor(errors, 'name')} errorPrefix={sharedStrings[lang].errorPrefix} value={props.form.name} maxlength={200} autocomplete="off" />
        <SelectField
          lang={lang}
          id="parentId"
          label={t.unitParent}
          error={errorFor(errors, 'parentId')}
          value={props.form.parentId}
          options={[{ value: '', label: t.unitParentNone }, ...props.units.filter((u) => u.status === 'active').map((u) => ({ value: u.id, label: pickerLabel(u) }))]}
        />
        <Button>{t.addUnitButton}</Button>
      </PostForm>
    </>
  );
}

type Person = (Organiser | Merchant) & { unitName: string };

/** Organisers or shops: who they are, their unit, status, and what the office can do for each. */
function PeoplePage(props: {
  lang: Lang;
  kind: 'organisers' | 'merchants';
  people: Person[];
  nextHref?: string | undefined;
  firstHref?: string | undefined;
  units: (OrgUnit & { level: number })[];
  done?: string | undefined;
  form: { name: string; orgUnitId: string };
  errors: FormError[];
}) {
  const { lang, kind, errors } = props;
  const t = officeStrings[lang];
  const base = `/app/office/${kind}`;
  return (
    <>
      <BackToOffice lang={lang} />
      <h1>{kind === 'organisers' ? t.organisersTitle : t.merchantsTitle}</h1>
      <p>{kind === 'organisers' ? t.organisersLead : t.merchantsLead}</p>
      {props.done && <Outcome tone="ok" title={props.done} id="done" />}
      {/* Cards rather than a table: on a phone each person's buttons stay in view, in large text too. */}
      {props.people.length === 0 ? (
        <p class="empty">{t.none}</p>
      ) : (
        <ul class="cards" id={kind} aria-label={kind === 'organisers' ? t.organisersTitle : t.merchantsTitle}>
          {props.people.map((p) => (
            <li class="card">
              <h2 class="card-title">{p.name}</h2>
              <SummaryList
                rows={[
                  [t.unit, p.unitName || '—'],
                  [t.status, p.status === 'active' ? t.statusActive : t.statusInactive],
                ]}
              />
              {p.status === 'active' && (
                <div class="actions">
                  <ActionButton action={`${base}/${p.id}/sign-in-code`} label={kind === 'organisers' ? t.signInLink : t.counterCode} subject={p.name} />
                  <ActionButton action={`${base}/${p.id}/deactivate`} label={t.deactivate} subject={p.name} variant="warning" />
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <Pager newerHref={props.firstHref} olderHref={props.nextHref} newerLabel={sharedStrings[lang].newest} olderLabel={sharedStrings[lang].next} />
      <h2>{t.register}</h2>
      <ErrorSummary title={t.fixError} errors={errors} />
      <PostForm action={base} id="register-form">
        <Field id="name" label={t.name} error={errorFor(errors, 'name')} errorPrefix={sharedStrings[lang].errorPrefix} value={props.form.name} maxlength={200} autocomplete="off" />
        <SelectField
          lang={lang}
          id="orgUnitId"
          label={kind === 'organisers' ? t.unit : t.unitOptional}
          error={errorFor(errors, 'orgUnitId')}
          value={props.form.orgUnitId}
          options={[...(kind === 'merchants' ? [{ value: '', label: t.unitParentNone }] : []), ...props.units.filter((u) => u.status === 'active').map((u) => ({ value: u.id, label: pickerLabel(u) }))]}
        />
        <Button>{t.register}</Button>
      </PostForm>
    </>
  );
}

/**
 * A sign-in code to hand over: the QR code of its link, the link and the code in words, and until
 * when it works. Printed on paper (the page is printable); the code is never shown again.
 */
function SignInCodePage(props: { lang: Lang; timeZone: string; kind: 'organisers' | 'merchants'; name: string; code: { code: string; url: string; expiresAt: string }; svg: string }) {
  const { lang, code } = props;
  const t = officeStrings[lang];
  return (
    <>
      <BackToOffice lang={lang} />
      <p class="no-print">
        <a href={`/app/office/${props.kind}`}>{props.kind === 'organisers' ? t.organisersTitle : t.merchantsTitle}</a>
      </p>
      <h1>{t.codeTitle(props.name)}</h1>
      <p>{t.codeLead}</p>
      <Qr svg={props.svg} label={t.codeQr(props.name)} id="sign-in-qr" />
      <p class="code-text" id="sign-in-code">
        {code.code}
      </p>
      <SummaryList rows={[[props.kind === 'organisers' ? t.signInLink : t.counterCode, <code id="sign-in-url">{code.url}</code>]]} />
      <p id="sign-in-expires">{t.codeExpires(formatDateTime(lang, code.expiresAt, props.timeZone))}</p>
      <p class="no-print">{t.codePrint}</p>
    </>
  );
}

/** Org units, organisers and shops: the office's people pages. */
export function peopleRoutes(deps: PageDeps) {
  const app = new Hono<PageEnv>();
  const admin = (c: Context<PageEnv>): Actor => pageActor(c, 'admin');

  const unitsPage = async (c: Context<PageEnv>, form: { name: string; parentId: string }, errors: FormError[], status: 200 | 400 | 409, added?: string) => {
    const { lang } = c.get('page');
    const units = treeOrder(await allUnits(deps, admin(c)));
    return renderPage(c, deps, { title: officeStrings[lang].unitsTitle, status }, <UnitsPage lang={lang} units={units} added={added} form={form} errors={errors} />);
  };

  app.get('/units', async (c) => {
    const added = c.req.query('added');
    const unit = added && uuid.test(added) ? await getOrgUnit(deps, admin(c), added).catch(() => undefined) : undefined;
    return unitsPage(c, { name: '', parentId: '' }, [], 200, unit?.name);
  });

  app.post('/units', async (c) => {
    const t = officeStrings[c.get('page').lang];
    const form = await readForm(c, deps.config.PUBLIC_URL);
    const values = { name: (form.name ?? '').trim(), parentId: form.parentId ?? '' };
    const parsed = parseWith(CreateOrgUnitBody, { name: values.name, parentId: values.parentId || null }, { name: t.unitNameError, parentId: t.unitParentError }, 'name');
    if (!parsed.ok) return unitsPage(c, values, parsed.errors, 400);
    try {
      const unit = await createOrgUnit(deps, admin(c), parsed.data);
      return seeOther(`/app/office/units?added=${unit.id}`);
    } catch (error) {
      if (error instanceof DomainError && (error.code === 'validation_failed' || error.code === 'inactive')) return unitsPage(c, values, [{ field: 'parentId', message: t.unitParentError }], error.code === 'inactive' ? 409 : 400);
      throw error;
    }
  });

  for (const kind of ['organisers', 'merchants'] as const) {
    const list = async (c: Context<PageEnv>, form: { name: string; orgUnitId: string }, errors: FormError[], status: 200 | 400 | 409, done?: string) => {
      const { lang } = c.get('page');
      const t = officeStrings[lang];
      const actor = admin(c);
      const cursor = c.req.query('cursor');
      const query = { limit: peoplePage, cursor: cursor && cursor.length <= 400 ? cursor : undefined };
      const [page, units] = await Promise.all([kind === 'organisers' ? listOrganisers(deps, actor, query) : listMerchants(deps, actor, query), allUnits(deps, actor)]);
      const names = new Map(units.map((u) => [u.id, u.name]));
      const people = (page.items as (Organiser | Merchant)[]).map((p) => ({ ...p, unitName: (p.orgUnitId && names.get(p.orgUnitId)) || '' }));
      const base = `/app/office/${kind}`;
      return renderPage(
        c,
        deps,
        { title: kind === 'organisers' ? t.organisersTitle : t.merchantsTitle, status },
        <PeoplePage
          lang={lang}
          kind={kind}
          people={people}
          nextHref={page.nextCursor ? `${base}?cursor=${encodeURIComponent(page.nextCursor)}` : undefined}
          firstHref={query.cursor ? base : undefined}
          units={treeOrder(units)}
          done={done}
          form={form}
          errors={errors}
        />,
      );
    };

    app.get(`/${kind}`, async (c) => {
      const t = officeStrings[c.get('page').lang];
      const id = c.req.query('registered') ?? c.req.query('deactivated');
      let done: string | undefined;
      if (id && uuid.test(id)) {
        const person = await (kind === 'organisers' ? getOrganiser(deps, admin(c), id) : getMerchant(deps, admin(c), id)).catch(() => undefined);
        if (person) done = c.req.query('registered') ? t.registered1(person.name) : t.deactivated(person.name);
      }
      return list(c, { name: '', orgUnitId: '' }, [], 200, done);
    });

    app.post(`/${kind}`, async (c) => {
      const t = officeStrings[c.get('page').lang];
      const form = await readForm(c, deps.config.PUBLIC_URL);
      const values = { name: (form.name ?? '').trim(), orgUnitId: form.orgUnitId ?? '' };
      const messages = { name: t.nameError, orgUnitId: t.unitError };
      const parsed =
        kind === 'organisers'
          ? parseWith(CreateOrganiserBody, { name: values.name, orgUnitId: values.orgUnitId }, messages, 'name')
          : parseWith(CreateMerchantBody, { name: values.name, orgUnitId: values.orgUnitId || null }, messages, 'name');
      if (!parsed.ok) return list(c, values, parsed.errors, 400);
      try {
        const person = kind === 'organisers' ? await createOrganiser(deps, admin(c), parsed.data as { name: string; orgUnitId: string }) : await createMerchant(deps, admin(c), parsed.data);
        return seeOther(`/app/office/${kind}?registered=${person.id}`);
      } catch (error) {
        if (error instanceof DomainError && (error.code === 'validation_failed' || error.code === 'inactive')) return list(c, values, [{ field: 'orgUnitId', message: t.unitError }], error.code === 'inactive' ? 409 : 400);
        throw error;
      }
    });

    // A code is made when the button is pressed and shown once: only its hash is kept, so the page
    // answers the post itself (a reload makes a new code and the old one stays usable until it expires).
    app.post(`/${kind}/:id/sign-in-code`, async (c) => {
      const { lang } = c.get('page');
      await readForm(c, deps.config.PUBLIC_URL);
      const id = c.req.param('id');
      if (!uuid.test(id)) throw new DomainError('not_found', `no such ${kind}`);
      const actor = admin(c);
      const person = kind === 'organisers' ? await getOrganiser(deps, actor, id) : await getMerchant(deps, actor, id);
      const code = await issueSignInCode(deps, actor, { role: kind === 'organisers' ? 'organiser' : 'merchant', principalId: id, expiresInSeconds: deps.config.SIGN_IN_CARD_TTL_SECONDS });
      return renderPage(
        c,
        deps,
        { title: officeStrings[lang].codeTitle(person.name), printable: true },
        <SignInCodePage lang={lang} timeZone={deps.config.PROGRAMME_TIME_ZONE} kind={kind} name={person.name} code={code} svg={await qrSvg(code.url)} />,
      );
    });

    app.post(`/${kind}/:id/deactivate`, async (c) => {
      await readForm(c, deps.config.PUBLIC_URL);
      const id = c.req.param('id');
      if (!uuid.test(id)) throw new DomainError('not_found', `no such ${kind}`);
      const person = kind === 'organisers' ? await deactivateOrganiser(deps, admin(c), id) : await deactivateMerchant(deps, admin(c), id);
      return seeOther(`/app/office/${kind}?deactivated=${person.id}`);
    });
  }

  return app;
}

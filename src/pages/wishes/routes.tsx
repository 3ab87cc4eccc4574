import { Hono, type Context } from 'hono';
import type { Actor } from '../../auth/actor.js';
import { DomainError, notFound } from '../../errors.js';
import { listWishCategories } from '../../wishes/categories.js';
import type { Wish } from '../../wishes/schemas.js';
import { assignWish, cancelWish, confirmWish, getWish, listWishes, markWishDone, postWish, releaseWish, takeWish } from '../../wishes/service.js';
import { postingUnits, takerCandidates } from '../../wishes/staff.js';
import { getVolunteer } from '../../volunteers/service.js';
import { Outcome } from '../common/components.js';
import type { PageDeps, PageEnv } from '../common/env.js';
import { formatNumber } from '../common/i18n.js';
import { renderPage, seeOther } from '../common/render.js';
import { pageActor, readForm, requireRole } from '../common/session.js';
import { AssignPanel, TriagePage } from './desk.js';
import { fieldErrorsOf, readWishForm, wishFormValues, type FieldErrors, type WishFormValues } from './form.js';
import { MyWishesPage, PostWishPage, WishPage, WishWallPage, type CategoryChoice, type Flash, type WishActions } from './pages.js';
import { wishStrings } from './strings.js';

/**
 * Wishes in the wallet (/app/wallet/wishes…) and at the desk (/app/desk/wishes…). Every read and
 * every move is the service verb the /v1 routes call, as the signed-in person: who may see a
 * contact, take, confirm or cancel is decided there, never here.
 */

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Most wishes one page of the wall lists; older ones are a page further. */
const wallPageSize = 20;
/** Most wishes each part of the desk's triage lists. */
const triageMax = 100;
/** Most of my own wishes listed in each part of "my wishes". */
const mineMax = 50;
const noteMax = 500;

/** Refusals a person can understand from the wish's page: said there in words, after a redirect. */
const sayOnPage = new Set(['already_taken', 'invalid_transition', 'post_holder_window', 'inactive']);
const dids = new Set(['posted', 'taken', 'released', 'done', 'confirmed', 'cancelled', 'assigned']);

function wishId(c: Context<PageEnv>): string {
  const id = c.req.param('id') ?? '';
  if (!uuidPattern.test(id)) throw notFound('wish');
  return id;
}

function flashOf(c: Context<PageEnv>): Flash {
  const did = c.req.query('did');
  const problem = c.req.query('problem');
  return { did: did && dids.has(did) ? did : undefined, problem: problem && (sayOnPage.has(problem) || problem === 'already_yours') ? problem : undefined };
}

/** Runs a move and goes back to the wish's page saying what happened (post, redirect, get). */
async function move(base: string, id: string, did: string, run: () => Promise<unknown>): Promise<Response> {
  try {
    await run();
  } catch (error) {
    if (error instanceof DomainError && sayOnPage.has(error.code)) {
      const problem = error.code === 'already_taken' && error.extensions.takenByYou === true ? 'already_yours' : error.code;
      return seeOther(`${base}/${id}?problem=${problem}`);
    }
    throw error;
  }
  return seeOther(`${base}/${id}?did=${did}`);
}

/** An optional note or reason from a form: trimmed, at most noteMax characters. */
function noteOf(form: Record<string, string>, field: string): { value: string | undefined; tooLong: boolean } {
  const value = (form[field] ?? '').trim();
  return { value: value || undefined, tooLong: value.length > noteMax };
}

async function activeCategories(deps: PageDeps, actor: Actor): Promise<CategoryChoice[]> {
  const page = await listWishCategories(deps, actor, { status: 'active', limit: 100 });
  return page.items.map((c) => ({ code: c.code, name: c.name, points: c.points }));
}

// ------------------------------------------------------------------------------------------------
// The wallet

export function walletWishPages(deps: PageDeps) {
  const app = new Hono<PageEnv>();
  const base = '/app/wallet/wishes';
  const tz = deps.config.PROGRAMME_TIME_ZONE;
  app.use('*', requireRole('volunteer'));

  // The community's wall: open wishes of my community (and of units where I hold a post).
  app.get('/', async (c) => {
    const actor = pageActor(c, 'volunteer');
    const { lang } = c.get('page');
    const cursor = c.req.query('cursor');
    const page = await listWishes(deps, actor, { status: 'open', limit: wallPageSize, cursor: cursor && cursor.length <= 200 ? cursor : undefined });
    return renderPage(
      c,
      deps,
      { title: wishStrings[lang].wallTitle },
      <WishWallPage lang={lang} tz={tz} meId={actor.id} wishes={page.items} newerHref={cursor ? base : undefined} olderHref={page.nextCursor ? `${base}?cursor=${encodeURIComponent(page.nextCursor)}` : undefined} />,
    );
  });

  app.get('/mine', async (c) => {
    const actor = pageActor(c, 'volunteer');
    const { lang } = c.get('page');
    const [posted, taken] = await Promise.all([listWishes(deps, actor, { mine: 'posted', limit: mineMax }), listWishes(deps, actor, { mine: 'taken', limit: mineMax })]);
    return renderPage(c, deps, { title: wishStrings[lang].mineTitle }, <MyWishesPage lang={lang} tz={tz} posted={posted.items} taken={taken.items} />);
  });

  const postForm = async (c: Context<PageEnv>, values: Partial<WishFormValues>, errors: FieldErrors) => {
    const actor = pageActor(c, 'volunteer');
    const { lang } = c.get('page');
    const t = wishStrings[lang];
    return renderPage(
      c,
      deps,
      { title: t.postTitle, status: Object.keys(errors).length > 0 ? 400 : 200 },
      <PostWishPage lang={lang} action={`${base}/new`} back={{ href: base, label: t.back }} categories={await activeCategories(deps, actor)} values={values} errors={errors} />,
    );
  };

  app.get('/new', (c) => postForm(c, {}, {}));
  app.post('/new', async (c) => {
    const actor = pageActor(c, 'volunteer');
    const { lang } = c.get('page');
    const values = wishFormValues(await readForm(c, deps.config.PUBLIC_URL));
    // A volunteer posts for its own home: the unit it is registered in.
    const read = readWishForm(lang, { ...values, orgUnitId: actor.orgUnitId }, tz, false);
    if (read.errors) return postForm(c, values, read.errors);
    try {
      const { body } = await postWish(deps, actor, read.input, undefined);
      return seeOther(`${base}/${body.id}?did=posted`);
    } catch (error) {
      const errors = fieldErrorsOf(lang, error);
      if (errors) return postForm(c, values, errors);
      throw error;
    }
  });

  const wishPage = async (c: Context<PageEnv>, wish: Wish, note?: { value: string; error?: string }) => {
    const actor = pageActor(c, 'volunteer');
    const { lang } = c.get('page');
    const t = wishStrings[lang];
    const poster = wish.postedBy.role === 'volunteer' && wish.postedBy.id === actor.id;
    const taker = wish.takerId === actor.id;
    const actions: WishActions = {
      take: wish.status === 'open' && !poster,
      done: wish.status === 'taken' && taker,
      release: wish.status === 'taken' && taker ? t.release : undefined,
      confirm: wish.status === 'done' && poster,
      cancel: poster && (wish.status === 'open' || wish.status === 'taken'),
    };
    const points = formatNumber(lang, wish.points);
    let state: string | undefined;
    if (taker && wish.status === 'taken') state = t.youHaveIt;
    else if (taker && wish.status === 'done') state = t.youDone;
    else if (taker && wish.status === 'confirmed') state = t.youEarned(points);
    else if (poster && wish.status === 'taken') state = t.waitingTaker;
    else if (poster && wish.status === 'done') state = t.waitingConfirm;
    else if (poster && wish.status === 'confirmed') state = t.earnedBy(points);
    const status = state ? (
      <Outcome tone="info" title={t.status[wish.status] ?? wish.status} id="state">
        <p>{state}</p>
      </Outcome>
    ) : undefined;
    return renderPage(
      c,
      deps,
      { title: wish.title, status: note?.error ? 400 : 200 },
      <WishPage lang={lang} tz={tz} meId={actor.id} wish={wish} base={base} back={{ href: poster || taker ? `${base}/mine` : base, label: poster || taker ? t.backToMine : t.back }} flash={flashOf(c)} actions={actions} note={note} status={status} ownContact={poster} />,
    );
  };

  app.get('/:id', async (c) => wishPage(c, await getWish(deps, pageActor(c, 'volunteer'), wishId(c))));

  app.post('/:id/:action', async (c) => {
    const actor = pageActor(c, 'volunteer');
    const id = wishId(c);
    const form = await readForm(c, deps.config.PUBLIC_URL);
    switch (c.req.param('action')) {
      case 'take':
        return move(base, id, 'taken', () => takeWish(deps, actor, id));
      case 'release':
        return move(base, id, 'released', () => releaseWish(deps, actor, id, {}));
      case 'done': {
        const note = noteOf(form, 'note');
        if (note.tooLong) return wishPage(c, await getWish(deps, actor, id), { value: form.note ?? '', error: wishStrings[c.get('page').lang].errNoteLong });
        return move(base, id, 'done', () => markWishDone(deps, actor, id, { note: note.value }));
      }
      case 'confirm':
        return move(base, id, 'confirmed', () => confirmWish(deps, actor, id, {}, undefined));
      case 'cancel':
        return move(base, id, 'cancelled', () => cancelWish(deps, actor, id, { reason: noteOf(form, 'reason').value?.slice(0, noteMax) }));
      default:
        throw notFound('page');
    }
  });

  return app;
}

// ------------------------------------------------------------------------------------------------
// The desk

export function deskWishPages(deps: PageDeps) {
  const app = new Hono<PageEnv>();
  const base = '/app/desk/wishes';
  const tz = deps.config.PROGRAMME_TIME_ZONE;
  app.use('*', requireRole('organiser', 'admin'));
  const staff = (c: Context<PageEnv>): Actor => {
    const actor = c.get('page').actor;
    if (!actor || (actor.role !== 'organiser' && actor.role !== 'admin')) throw new DomainError('forbidden', 'the desk is for organisers');
    return actor;
  };

  // Triage: unanswered first (longest waiting first), then overdue, then waiting for confirmation, then in hand.
  app.get('/', async (c) => {
    const actor = staff(c);
    const { lang } = c.get('page');
    const [open, taken, done] = await Promise.all((['open', 'taken', 'done'] as const).map((status) => listWishes(deps, actor, { status, limit: triageMax })));
    const now = Date.now();
    const overdue = (w: Wish) => w.neededBy !== null && Date.parse(w.neededBy) < now;
    const oldestFirst = (a: Wish, b: Wish) => a.createdAt.localeCompare(b.createdAt);
    return renderPage(
      c,
      deps,
      { title: wishStrings[lang].deskTitle },
      <TriagePage
        lang={lang}
        tz={tz}
        now={now}
        flash={flashOf(c)}
        open={[...open!.items].sort(oldestFirst)}
        overdue={[...taken!.items, ...done!.items].filter(overdue).sort(oldestFirst)}
        done={done!.items.filter((w) => !overdue(w)).sort(oldestFirst)}
        taken={taken!.items.filter((w) => !overdue(w)).sort(oldestFirst)}
        more={[open, taken, done].some((p) => p!.nextCursor !== null)}
        listMax={triageMax}
      />,
    );
  });

  const postForm = async (c: Context<PageEnv>, values: Partial<WishFormValues>, errors: FieldErrors) => {
    const actor = staff(c);
    const { lang } = c.get('page');
    const t = wishStrings[lang];
    const [categories, units] = await Promise.all([activeCategories(deps, actor), postingUnits(deps, actor)]);
    return renderPage(
      c,
      deps,
      { title: t.deskPostTitle, status: Object.keys(errors).length > 0 ? 400 : 200 },
      <PostWishPage lang={lang} action={`${base}/new`} back={{ href: base, label: t.deskBack }} categories={categories} values={values} errors={errors} staff={{ units }} />,
    );
  };

  app.get('/new', (c) => postForm(c, {}, {}));
  app.post('/new', async (c) => {
    const actor = staff(c);
    const { lang } = c.get('page');
    const values = wishFormValues(await readForm(c, deps.config.PUBLIC_URL));
    const read = readWishForm(lang, values, tz, true);
    if (read.errors) return postForm(c, values, read.errors);
    if (!uuidPattern.test(values.orgUnitId)) return postForm(c, values, { orgUnitId: wishStrings[lang].errUnit });
    try {
      const { body } = await postWish(deps, actor, read.input, undefined);
      return seeOther(`${base}/${body.id}?did=posted`);
    } catch (error) {
      const errors = fieldErrorsOf(lang, error) ?? (error instanceof DomainError && error.code === 'forbidden' ? { orgUnitId: wishStrings[lang].errUnit } : undefined);
      if (errors) return postForm(c, values, errors);
      throw error;
    }
  });

  app.get('/:id', async (c) => {
    const actor = staff(c);
    const { lang } = c.get('page');
    const t = wishStrings[lang];
    const id = wishId(c);
    const wish = await getWish(deps, actor, id);
    let takerName: string | undefined;
    if (wish.takerId) {
      try {
        takerName = (await getVolunteer(deps, actor, wish.takerId)).name;
      } catch (error) {
        // A taker outside this organiser's subtree (a post holder of a neighbouring unit) stays unnamed.
        if (!(error instanceof DomainError)) throw error;
      }
    }
    const query = (c.req.query('q') ?? '').replaceAll('\u0000', '').slice(0, 50);
    const assign = wish.status === 'open' ? <AssignPanel lang={lang} wishId={id} query={query} candidates={await takerCandidates(deps, actor, id, { text: query })} /> : undefined;
    const actions: WishActions = {
      confirm: wish.status === 'done',
      cancel: wish.status === 'open' || wish.status === 'taken',
      release: wish.status === 'taken' ? t.releaseDesk : undefined,
    };
    return renderPage(
      c,
      deps,
      { title: wish.title },
      <WishPage lang={lang} tz={tz} meId={actor.id} wish={wish} base={base} back={{ href: base, label: t.deskBack }} flash={flashOf(c)} actions={actions} takerName={takerName} extra={assign} />,
    );
  });

  app.post('/:id/:action', async (c) => {
    const actor = staff(c);
    const id = wishId(c);
    const form = await readForm(c, deps.config.PUBLIC_URL);
    switch (c.req.param('action')) {
      case 'assign': {
        const volunteerId = form.volunteerId ?? '';
        if (!uuidPattern.test(volunteerId)) throw notFound('volunteer');
        return move(base, id, 'assigned', () => assignWish(deps, actor, id, { volunteerId }));
      }
      case 'release':
        return move(base, id, 'released', () => releaseWish(deps, actor, id, {}));
      case 'confirm':
        return move(base, id, 'confirmed', () => confirmWish(deps, actor, id, {}, undefined));
      case 'cancel':
        return move(base, id, 'cancelled', () => cancelWish(deps, actor, id, { reason: noteOf(form, 'reason').value?.slice(0, noteMax) }));
      default:
        throw notFound('page');
    }
  });

  return app;
}

import type { Child } from 'hono/jsx';
import type { Wish } from '../../wishes/schemas.js';
import { Button, ButtonLink, ErrorSummary, Field, Outcome, Pager, PostForm, Select, SummaryList, TextArea } from '../common/components.js';
import { formatDate, formatDateTime, formatNumber, type Lang } from '../common/i18n.js';
import { sharedStrings } from '../common/strings.js';
import { Choices, History, StatusTag, WishCard, WishList } from './components.js';
import type { FieldErrors, WishFormValues } from './form.js';
import { wishStrings } from './strings.js';

/** The pages of wishes: the wall, the post form, my wishes, one wish. Markup only. */

export interface Flash {
  did?: string | undefined;
  problem?: string | undefined;
}

/** The answer to what was just done, at the top of the page it led back to. */
export function FlashPanel(props: { lang: Lang; flash: Flash }) {
  const t = wishStrings[props.lang];
  if (props.flash.did && t.did[props.flash.did]) {
    return (
      <Outcome tone="ok" title={t.doneTitle} id="outcome">
        <p>{t.did[props.flash.did]}</p>
      </Outcome>
    );
  }
  if (props.flash.problem && t.problem[props.flash.problem]) {
    return (
      <Outcome tone="bad" title={t.problemTitle} id="outcome">
        <p>{t.problem[props.flash.problem]}</p>
      </Outcome>
    );
  }
  return null;
}

export function WishWallPage(props: { lang: Lang; tz: string; meId: string; wishes: Wish[]; newerHref?: string | undefined; olderHref?: string | undefined }) {
  const t = wishStrings[props.lang];
  return (
    <>
      <h1>{t.wallTitle}</h1>
      <p class="lead">{t.wallLead}</p>
      <div class="button-row">
        <ButtonLink href="/app/wallet/wishes/new" id="post-wish">
          {t.post}
        </ButtonLink>
        <ButtonLink href="/app/wallet/wishes/mine" variant="secondary">
          {t.mine}
        </ButtonLink>
      </div>
      <WishList id="wishes" empty={t.wallEmpty} count={props.wishes.length}>
        {props.wishes.map((w) => (
          <WishCard lang={props.lang} tz={props.tz} wish={w} href={`/app/wallet/wishes/${w.id}`} tag={w.postedBy.role === 'volunteer' && w.postedBy.id === props.meId ? t.yoursTag : undefined} />
        ))}
      </WishList>
      <Pager newerHref={props.newerHref} olderHref={props.olderHref} newerLabel={t.newer} olderLabel={t.older} />
    </>
  );
}

export function MyWishesPage(props: { lang: Lang; tz: string; posted: Wish[]; taken: Wish[] }) {
  const t = wishStrings[props.lang];
  return (
    <>
      <a class="back-link" href="/app/wallet/wishes">
        {t.back}
      </a>
      <h1>{t.mineTitle}</h1>
      <h2>{t.mineTaken}</h2>
      <WishList id="taken" empty={t.mineTakenEmpty} count={props.taken.length}>
        {props.taken.map((w) => (
          <WishCard lang={props.lang} tz={props.tz} wish={w} href={`/app/wallet/wishes/${w.id}`} />
        ))}
      </WishList>
      <h2>{t.minePosted}</h2>
      <WishList id="posted" empty={t.minePostedEmpty} count={props.posted.length}>
        {props.posted.map((w) => (
          <WishCard lang={props.lang} tz={props.tz} wish={w} href={`/app/wallet/wishes/${w.id}`} />
        ))}
      </WishList>
      <ButtonLink href="/app/wallet/wishes/new">{t.post}</ButtonLink>
    </>
  );
}

export interface CategoryChoice {
  code: string;
  name: string;
  points: number;
}

/** The form to post a wish: the wallet's (for oneself) or the desk's (for a resident, in a unit). */
export function PostWishPage(props: {
  lang: Lang;
  action: string;
  back: { href: string; label: string };
  categories: CategoryChoice[];
  values: Partial<WishFormValues>;
  errors: FieldErrors;
  staff?: { units: { id: string; name: string; depth: number }[] };
}) {
  const t = wishStrings[props.lang];
  const s = sharedStrings[props.lang];
  const e = props.errors;
  const v = props.values;
  const order: (keyof WishFormValues)[] = ['orgUnitId', 'residentName', 'residentContact', 'category', 'title', 'details', 'neededBy'];
  const anchor = (k: keyof WishFormValues) => (k === 'category' ? 'category' : k);
  return (
    <>
      <a class="back-link" href={props.back.href}>
        {props.back.label}
      </a>
      <h1>{props.staff ? t.deskPostTitle : t.postTitle}</h1>
      <ErrorSummary title={s.errorSummaryTitle} errors={order.filter((k) => e[k]).map((k) => ({ field: anchor(k), message: e[k]! }))} />
      <p class="lead">{props.staff ? t.deskPostLead : t.postLead}</p>
      {props.categories.length === 0 ? (
        <p class="empty">{t.noCategories}</p>
      ) : (
        <PostForm action={props.action} id="wish-form">
          {props.staff && (
            <>
              <Select
                id="orgUnitId"
                label={t.unit}
                error={e.orgUnitId}
                errorPrefix={s.errorPrefix}
                value={v.orgUnitId}
                options={props.staff.units.map((u) => ({ value: u.id, label: `${'　'.repeat(Math.max(0, u.depth - 1))}${u.name}` }))}
              />
              <Field id="residentName" label={t.residentName} hint={t.residentNameHint} error={e.residentName} errorPrefix={s.errorPrefix} value={v.residentName} maxlength={100} autocomplete="off" />
              <Field id="residentContact" label={t.residentContact} hint={t.residentContactHint} error={e.residentContact} errorPrefix={s.errorPrefix} value={v.residentContact} maxlength={200} autocomplete="off" />
            </>
          )}
          <Choices
            id="category"
            legend={t.category}
            error={e.category}
            errorPrefix={s.errorPrefix}
            value={v.category}
            options={props.categories.map((c) => ({ value: c.code, label: c.name, hint: t.categoryPoints(formatNumber(props.lang, c.points)) }))}
          />
          <TextArea id="title" label={t.title} hint={t.titleHint} error={e.title} errorPrefix={s.errorPrefix} value={v.title} maxlength={200} rows={2} />
          <TextArea id="details" label={t.details} hint={t.detailsHint} error={e.details} errorPrefix={s.errorPrefix} value={v.details} maxlength={2000} />
          <Field id="neededBy" type="date" label={t.neededByLabel} hint={t.neededByHint} error={e.neededBy} errorPrefix={s.errorPrefix} value={v.neededBy} />
          <Button id="submit-wish">{t.submitPost}</Button>
        </PostForm>
      )}
    </>
  );
}

/** What the person looking at a wish may do with it; each a form that posts to the page's routes. */
export interface WishActions {
  take?: boolean;
  release?: string | undefined;
  done?: boolean;
  confirm?: boolean;
  cancel?: boolean;
}

/** One wish: the request, its state, whom to contact (for those who may know), what happened, and what I can do. */
export function WishPage(props: {
  lang: Lang;
  tz: string;
  meId: string;
  wish: Wish;
  base: string;
  back: { href: string; label: string };
  flash: Flash;
  actions: WishActions;
  note?: { value: string; error?: string | undefined };
  takerName?: string | undefined;
  /** The volunteer who posted it: the contact is its own, not worth showing back to it. */
  ownContact?: boolean;
  status?: Child;
  extra?: Child;
}) {
  const t = wishStrings[props.lang];
  const s = sharedStrings[props.lang];
  const w = props.wish;
  const points = formatNumber(props.lang, w.points);
  const rows: [Child, Child][] = [
    [t.rowStatus, <StatusTag lang={props.lang} status={w.status} />],
    [t.rowCategory, w.categoryName],
    [t.rowPoints, t.points(points)],
    [t.rowPosted, formatDateTime(props.lang, w.createdAt, props.tz)],
  ];
  if (w.neededBy) rows.push([t.rowNeededBy, formatDate(props.lang, w.neededBy, props.tz)]);
  if (props.takerName) rows.push([t.rowTaker, props.takerName]);
  const action = (name: string) => `${props.base}/${w.id}/${name}`;
  return (
    <>
      <a class="back-link" href={props.back.href}>
        {props.back.label}
      </a>
      <FlashPanel lang={props.lang} flash={props.flash} />
      {props.note?.error && <ErrorSummary title={s.errorSummaryTitle} errors={[{ field: 'note', message: props.note.error }]} />}
      <span class="caption">{t.whatTitle}</span>
      <h1 id="wish-title">{w.title}</h1>
      {props.status}
      {w.offeredToPostHolders && w.priorityUntil && <p class="hint">{t.postHolderFirst(formatDateTime(props.lang, w.priorityUntil, props.tz))}</p>}
      {props.actions.take && (
        <PostForm action={action('take')} id="take-form">
          <p class="hint">{t.takeHint}</p>
          <Button id="take">{t.take}</Button>
        </PostForm>
      )}
      {props.actions.confirm && (
        <PostForm action={action('confirm')} id="confirm-form">
          <p>{t.confirmHint(points)}</p>
          <Button id="confirm">{t.confirm}</Button>
        </PostForm>
      )}
      <SummaryList rows={rows} />
      {w.details && (
        <>
          <h2>{t.rowDetails}</h2>
          <p class="wish-details">{w.details}</p>
        </>
      )}
      {!props.ownContact && <h2>{t.contactTitle}</h2>}
      {props.ownContact ? null : w.requester ? (
        <SummaryList
          class="contact"
          rows={[
            [t.contactFor, <span id="contact-name">{w.requester.name}</span>],
            [t.rowContact, <span id="contact">{w.requester.contact ?? t.contactNone}</span>],
          ]}
        />
      ) : (
        <p class="hint" id="contact-hidden">
          {w.onBehalfOf ? `${t.rowResident}：${w.onBehalfOf.name}。` : ''}
          {t.contactHidden}
        </p>
      )}
      {props.actions.done && (
        <PostForm action={action('done')} id="done-form" label={t.doneLegend}>
          <h2>{t.doneLegend}</h2>
          <TextArea id="note" label={t.noteLabel} hint={t.noteHint} error={props.note?.error} errorPrefix={s.errorPrefix} value={props.note?.value} maxlength={500} />
          <Button id="done">{t.markDone}</Button>
        </PostForm>
      )}
      {props.extra}
      {props.actions.release && (
        <PostForm action={action('release')} id="release-form">
          <Button variant="secondary" id="release">
            {props.actions.release}
          </Button>
        </PostForm>
      )}
      {props.actions.cancel && (
        <details class="details" id="cancel-details">
          <summary>{t.cancelOpen}</summary>
          <PostForm action={action('cancel')} id="cancel-form">
            <TextArea id="reason" label={t.reasonLabel} errorPrefix={s.errorPrefix} maxlength={500} rows={2} />
            <Button variant="warning" id="cancel">
              {t.cancel}
            </Button>
          </PostForm>
        </details>
      )}
      <h2>{t.historyTitle}</h2>
      <History lang={props.lang} tz={props.tz} wish={w.history ?? []} meId={props.meId} />
    </>
  );
}

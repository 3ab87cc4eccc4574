import type { TakerCandidate } from '../../wishes/staff.js';
import type { Wish } from '../../wishes/schemas.js';
import { Button, ButtonLink, PostForm } from '../common/components.js';
import type { Lang } from '../common/i18n.js';
import { durationText, WishCard, WishList } from './components.js';
import { FlashPanel, type Flash } from './pages.js';
import { wishStrings } from './strings.js';

/** The desk's triage: unanswered wishes (longest waiting first), then overdue, then to confirm, then in hand. */
export function TriagePage(props: { lang: Lang; tz: string; now: number; flash: Flash; open: Wish[]; overdue: Wish[]; done: Wish[]; taken: Wish[]; more: boolean; listMax: number }) {
  const t = wishStrings[props.lang];
  const card = (w: Wish, extra?: string) => (
    <WishCard
      lang={props.lang}
      tz={props.tz}
      wish={w}
      href={`/app/desk/wishes/${w.id}`}
      extra={extra ? <p class="wish-wait">{extra}</p> : undefined}
    />
  );
  const section = (id: string, title: string, items: Wish[], extra: (w: Wish) => string | undefined) => (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>
        {title} <span class="count">({items.length})</span>
      </h2>
      <WishList id={id} empty={t.deskEmpty} count={items.length}>
        {items.map((w) => card(w, extra(w)))}
      </WishList>
    </section>
  );
  return (
    <>
      <FlashPanel lang={props.lang} flash={props.flash} />
      <h1>{t.deskTitle}</h1>
      <p class="lead">{t.deskLead}</p>
      <ButtonLink href="/app/desk/wishes/new" id="post-for-resident">
        {t.deskPost}
      </ButtonLink>
      {section('open', t.deskOpen, props.open, (w) => t.waited(durationText(t, props.now - Date.parse(w.createdAt))))}
      {section('overdue', t.deskOverdue, props.overdue, (w) => (w.neededBy ? t.overdueBy(durationText(t, props.now - Date.parse(w.neededBy))) : undefined))}
      {section('to-confirm', t.deskDone, props.done, () => undefined)}
      {section('in-hand', t.deskTaken, props.taken, () => undefined)}
      {props.more && <p class="hint">{t.deskMore(props.listMax)}</p>}
    </>
  );
}

/** The desk's way of answering a wish: find a volunteer (post holders first) and give it to them. */
export function AssignPanel(props: { lang: Lang; wishId: string; query: string; candidates: TakerCandidate[] }) {
  const t = wishStrings[props.lang];
  return (
    <section class="assign" aria-labelledby="assign-title">
      <h2 id="assign-title">{t.assignTitle}</h2>
      <p class="hint">{t.assignLead}</p>
      <form method="get" action={`/app/desk/wishes/${props.wishId}`} class="search-form" role="search">
        <label class="label" for="q">
          {t.search}
        </label>
        <input class="input" id="q" name="q" type="search" value={props.query} maxlength={50} autocomplete="off" />
        <Button variant="secondary" id="search">
          {t.searchButton}
        </Button>
      </form>
      {props.candidates.length === 0 ? (
        <p class="empty" id="candidates">
          {t.noCandidates}
        </p>
      ) : (
        <ul class="cards" id="candidates">
          {props.candidates.map((v) => (
            <li class="card candidate">
              <h3 class="card-title">{v.name}</h3>
              <p class="meta">
                {v.post && <span class="tag">{v.post.kindName}</span>} {v.orgUnitName}
                {v.phoneTail && ` · ${t.phoneTail(v.phoneTail)}`}
              </p>
              <PostForm action={`/app/desk/wishes/${props.wishId}/assign`}>
                <input type="hidden" name="volunteerId" value={v.id} />
                <Button>{t.assignTo(v.name)}</Button>
              </PostForm>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

import type { Pack } from '../../packs/schemas.js';
import { Button, ButtonLink, Outcome, PostForm, SummaryList } from '../common/components.js';
import type { Lang } from '../common/i18n.js';
import { formatDate, formatNumber } from '../common/i18n.js';
import { walletStrings } from './strings.js';

export interface PackOffer {
  pack: Pack;
  merchantName: string;
}

interface Standing {
  balance: number;
  starLevel: number;
}

function windowText(lang: Lang, timeZone: string, pack: Pack): string {
  const t = walletStrings[lang];
  const from = pack.validFrom ? formatDate(lang, pack.validFrom, timeZone) : undefined;
  const until = pack.validUntil ? formatDate(lang, pack.validUntil, timeZone) : undefined;
  if (from && until) return t.windowBetween(from, until);
  if (from) return t.windowFrom(from);
  if (until) return t.windowUntil(until);
  return t.windowAlways;
}

/** A pack's terms: shop, points, stock, window, star requirement, limit per person. */
function PackTerms(props: { lang: Lang; timeZone: string; offer: PackOffer }) {
  const t = walletStrings[props.lang];
  const { pack } = props.offer;
  const rows: [string, string][] = [
    [t.shop, props.offer.merchantName],
    [t.cost, t.points(formatNumber(props.lang, pack.points))],
    [t.stockLeft, pack.stockLeft === null ? t.stockUnlimited : t.stockValue(formatNumber(props.lang, pack.stockLeft))],
    [t.window, windowText(props.lang, props.timeZone, pack)],
    [t.starNeeded, pack.minStarLevel ? t.starAtLeast(pack.minStarLevel) : t.starNone],
  ];
  if (pack.perVolunteerLimit !== null) rows.push([t.limit, t.limitValue(pack.perVolunteerLimit)]);
  return <SummaryList rows={rows} />;
}

/** Why this volunteer cannot claim the pack now, in words, or undefined when they can. */
function obstacle(lang: Lang, pack: Pack, standing: Standing): string | undefined {
  const t = walletStrings[lang];
  if (pack.minStarLevel && standing.starLevel < pack.minStarLevel) return t.needStars(pack.minStarLevel);
  if (standing.balance < pack.points) return t.notEnough(formatNumber(lang, pack.points - standing.balance));
  return undefined;
}

/** What can be claimed now, each with its terms and a way to claim it. */
export function Packs(props: { lang: Lang; timeZone: string; offers: PackOffer[]; standing: Standing; olderHref?: string | undefined }) {
  const t = walletStrings[props.lang];
  return (
    <>
      <a class="back-link" href="/app/wallet">
        {t.backHome}
      </a>
      <h1>{t.packsTitle}</h1>
      <p class="lead">{t.packsIntro(formatNumber(props.lang, props.standing.balance))}</p>
      {props.offers.length === 0 ? (
        <p class="empty">{t.packsEmpty}</p>
      ) : (
        <ul class="cards" id="packs">
          {props.offers.map((offer) => {
            const why = obstacle(props.lang, offer.pack, props.standing);
            return (
              <li class="card" id={`pack-${offer.pack.id}`}>
                <h2 class="card-title">{offer.pack.title}</h2>
                {offer.pack.description && <p>{offer.pack.description}</p>}
                <PackTerms lang={props.lang} timeZone={props.timeZone} offer={offer} />
                {why ? (
                  <p class="hint">{why}</p>
                ) : (
                  <ButtonLink href={`/app/wallet/packs/${offer.pack.id}`}>
                    {t.choose(offer.pack.title)}
                  </ButtonLink>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {props.olderHref && (
        <a class="button button-secondary" href={props.olderHref}>
          {walletStrings[props.lang].older}
        </a>
      )}
    </>
  );
}

/** One step before claiming: what it costs and what happens next. */
export function ConfirmClaim(props: { lang: Lang; timeZone: string; offer: PackOffer; standing: Standing; requestKey: string; error?: string | undefined }) {
  const t = walletStrings[props.lang];
  const why = obstacle(props.lang, props.offer.pack, props.standing);
  return (
    <>
      <a class="back-link" href="/app/wallet/packs">
        {t.back}
      </a>
      <h1>{t.confirmTitle}</h1>
      {props.error && (
        <Outcome tone="bad" title={props.error} id="claim-error">
          <p>
            <a href="/app/wallet/packs">{t.packsTitle}</a>
          </p>
        </Outcome>
      )}
      <p class="lead">{t.confirmQuestion(formatNumber(props.lang, props.offer.pack.points), props.offer.pack.title)}</p>
      <PackTerms lang={props.lang} timeZone={props.timeZone} offer={props.offer} />
      <p>{t.confirmHint}</p>
      {why ? (
        <p class="hint">{why}</p>
      ) : (
        <PostForm action={`/app/wallet/packs/${props.offer.pack.id}/claim`}>
          <input type="hidden" name="key" value={props.requestKey} />
          <Button>{t.confirmButton}</Button>
        </PostForm>
      )}
    </>
  );
}

import { Outcome, Qr } from '../common/components.js';
import { formatDateTime, type Lang } from '../common/i18n.js';
import { deskStrings } from './strings.js';

/**
 * An A4 sheet of sign-in cards: each card a volunteer's name and a QR code of a sign-in link, cut
 * out and handed over. Each card's code is new; printing a card again voids the one printed before.
 */

export interface SignInCard {
  name: string;
  url: string;
  expiresAt: string;
  svg: string;
}

export function SignInCards(props: { lang: Lang; timeZone: string; cards: SignInCard[]; refused?: string | undefined }) {
  const t = deskStrings[props.lang];
  return (
    <>
      <div class="no-print">
        <a class="back-link" href="/app/desk/volunteers">
          {t.back}
        </a>
        <h1>{t.cardsTitle}</h1>
        {props.refused ? <Outcome tone="bad" title={props.refused} id="refused" /> : <p>{t.cardsHint}</p>}
      </div>
      <ul class="sign-in-cards" id="cards">
        {props.cards.map((card) => (
          <li class="sign-in-card">
            <p class="sign-in-card-name">{card.name}</p>
            <Qr svg={card.svg} label={`${t.cardScan}: ${card.name}`} class="card-qr" />
            <p>{t.cardScan}</p>
            <p class="hint">{t.cardValidUntil(formatDateTime(props.lang, card.expiresAt, props.timeZone))}</p>
          </li>
        ))}
      </ul>
    </>
  );
}

import type { Lang } from '../common/i18n.js';
import { formatNumber } from '../common/i18n.js';
import { ButtonLink } from '../common/components.js';
import { walletStrings } from './strings.js';
import { wishStrings } from '../wishes/strings.js';

export interface WalletFigures {
  balance: number;
  held: number;
  serviceMinutes: number;
  starLevel: number;
}

/** Hours to one decimal place, as people say them ("3.5 小时"). */
export function hoursText(lang: Lang, minutes: number): string {
  return new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(minutes / 60);
}

/** The wallet's home: what I can spend, what is held, my hours and stars, and what I can do next. */
export function WalletHome(props: { lang: Lang; name: string; figures: WalletFigures; thresholdsHours: readonly number[] }) {
  const t = walletStrings[props.lang];
  const { figures } = props;
  const next = props.thresholdsHours[figures.starLevel];
  const hours = figures.serviceMinutes / 60;
  return (
    <>
      <h1>{t.homeTitle}</h1>
      <p class="lead">
        {t.greeting(props.name)}
      </p>
      <ul class="figures">
        <li class="figure figure-main">
          <span class="figure-label" id="balance-label">
            {t.balance}
          </span>
          <span class="figure-value" id="balance" aria-labelledby="balance-label balance">
            {formatNumber(props.lang, figures.balance)}
          </span>
        </li>
        <li class="figure">
          <span class="figure-label">{t.held}</span>
          <span class="figure-value" id="held">
            {formatNumber(props.lang, figures.held)}
          </span>
        </li>
        <li class="figure">
          <span class="figure-label">{t.hours}</span>
          <span class="figure-value" id="hours">
            {hoursText(props.lang, figures.serviceMinutes)}
          </span>
        </li>
        <li class="figure figure-main">
          <span class="figure-label">{t.stars}</span>
          <span class="figure-value" id="stars">
            {t.starsValue(figures.starLevel)}
          </span>
          {next === undefined ? (
            <span>{t.topStar}</span>
          ) : (
            <>
              <span id="star-next">{t.toNextStar(hoursText(props.lang, Math.max(0, next * 60 - figures.serviceMinutes)), figures.starLevel + 1)}</span>
              <progress class="progress" max={next} value={Math.min(hours, next)} aria-labelledby="star-next">
                {Math.round((Math.min(hours, next) / next) * 100)}%
              </progress>
            </>
          )}
        </li>
      </ul>
      <h2>{t.menuTitle}</h2>
      <div class="button-row">
        <ButtonLink href="/app/wallet/packs">{t.menuPacks}</ButtonLink>
        <ButtonLink href="/app/wallet/claims" variant="secondary">
          {t.menuClaims}
        </ButtonLink>
        <ButtonLink href="/app/wallet/statement" variant="secondary">
          {t.menuStatement}
        </ButtonLink>
        <ButtonLink href="/app/wallet/wishes" variant="secondary">{wishStrings[props.lang].wallTitle}</ButtonLink>
        <ButtonLink href="/app/wallet/certificate" variant="secondary">
          {t.menuCertificate}
        </ButtonLink>
      </div>
    </>
  );
}

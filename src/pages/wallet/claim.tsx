import type { Redemption } from '../../redemptions/schemas.js';
import { printedShortCode } from '../../redemptions/token.js';
import { Button, ButtonLink, Outcome, PostForm, Qr, SummaryList } from '../common/components.js';
import type { Lang } from '../common/i18n.js';
import { formatDateTime, formatNumber } from '../common/i18n.js';
import { walletStrings } from './strings.js';

function statusWord(lang: Lang, status: Redemption['status']): string {
  const t = walletStrings[lang];
  return { issued: t.statusIssued, redeemed: t.statusRedeemed, cancelled: t.statusCancelled, expired: t.statusExpired }[status];
}

/**
 * A claim: while it is live, its QR code as large as the screen allows with the short code in
 * readable text, the pack, the shop and the time left; afterwards, what became of it.
 */
export function ClaimCode(props: { lang: Lang; timeZone: string; claim: Redemption; qrSvg?: string | undefined; notice?: string | undefined }) {
  const t = walletStrings[props.lang];
  const { claim } = props;
  const terms = (
    <SummaryList
      rows={[
        [t.shop, claim.merchantName],
        [t.cost, t.points(formatNumber(props.lang, claim.points))],
      ]}
    />
  );
  return (
    <>
      <a class="back-link no-print" href="/app/wallet/claims">
        {t.claimsTitle}
      </a>
      <h1>{claim.packTitle}</h1>
      {props.notice && <Outcome tone="info" title={props.notice} />}
      {claim.status === 'issued' && props.qrSvg && claim.shortCode ? (
        <div class="show-code" id="claim" data-status={claim.status}>
          <p class="lead">{t.codeShow}</p>
          <Qr svg={props.qrSvg} label={t.codeQrLabel(claim.packTitle)} id="claim-qr" />
          <p>{t.codeShort}</p>
          <p class="code-text" id="short-code">
            {printedShortCode(claim.shortCode)}
          </p>
          <p
            class="countdown"
            id="countdown"
            role="timer"
            aria-live="off"
            data-expires={claim.expiresAt}
            data-template={t.codeLeftTemplate}
            data-expired-text={t.codeExpiredNow}
            data-status={claim.status}
            data-status-url={`/app/wallet/claims/${claim.id}/status`}
          >
            {t.codeExpires(formatDateTime(props.lang, claim.expiresAt, props.timeZone))}
          </p>
          {terms}
          <PostForm action={`/app/wallet/claims/${claim.id}/cancel`}>
            <Button variant="secondary">{t.cancelButton}</Button>
          </PostForm>
        </div>
      ) : (
        <div id="claim" data-status={claim.status}>
          {claim.status === 'redeemed' && (
            <Outcome tone="ok" title={t.redeemedTitle} id="claim-outcome">
              <p>{t.redeemedBody(claim.merchantName, formatDateTime(props.lang, claim.resolvedAt ?? claim.issuedAt, props.timeZone))}</p>
            </Outcome>
          )}
          {claim.status === 'cancelled' && (
            <Outcome tone="info" title={t.statusCancelled} id="claim-outcome">
              <p>{t.cancelledBody}</p>
            </Outcome>
          )}
          {claim.status === 'expired' && (
            <Outcome tone="info" title={t.statusExpired} id="claim-outcome">
              <p>{t.expiredBody}</p>
            </Outcome>
          )}
          {terms}
          <ButtonLink href="/app/wallet" variant="secondary">
            {t.backHome}
          </ButtonLink>
        </div>
      )}
    </>
  );
}

/** My claims, newest first: each with its state in words, and the code again for a live one. */
export function Claims(props: { lang: Lang; timeZone: string; claims: Redemption[]; olderHref?: string | undefined }) {
  const t = walletStrings[props.lang];
  return (
    <>
      <a class="back-link" href="/app/wallet">
        {t.backHome}
      </a>
      <h1>{t.claimsTitle}</h1>
      {props.claims.length === 0 ? (
        <p class="empty">{t.claimsEmpty}</p>
      ) : (
        <ul class="cards" id="claims">
          {props.claims.map((claim) => (
            <li class="card" id={`claim-${claim.id}`}>
              <h2 class="card-title">{claim.packTitle}</h2>
              <SummaryList
                rows={[
                  [t.shop, claim.merchantName],
                  [t.cost, t.points(formatNumber(props.lang, claim.points))],
                  [t.claimedAtLabel, formatDateTime(props.lang, claim.issuedAt, props.timeZone)],
                  [t.statusLabel, <span class="tag">{statusWord(props.lang, claim.status)}</span>],
                ]}
              />
              <ButtonLink href={`/app/wallet/claims/${claim.id}`} variant={claim.status === 'issued' ? 'primary' : 'secondary'}>
                {claim.status === 'issued' ? t.showCode : statusWord(props.lang, claim.status)}
              </ButtonLink>
            </li>
          ))}
        </ul>
      )}
      {props.olderHref && (
        <a class="button button-secondary" href={props.olderHref}>
          {t.older}
        </a>
      )}
    </>
  );
}

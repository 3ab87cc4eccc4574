import type { VerifiedCertificate } from '../../records/certificate.js';
import { Button, PostForm, Qr, SummaryList, Table } from '../common/components.js';
import type { Lang } from '../common/i18n.js';
import { formatDate, formatNumber } from '../common/i18n.js';
import { walletStrings } from './strings.js';

/** Before there is a certificate: what it is, and the button that makes one. */
export function CertificateStart(props: { lang: Lang }) {
  const t = walletStrings[props.lang];
  return (
    <>
      <a class="back-link" href="/app/wallet">
        {t.backHome}
      </a>
      <h1>{t.certificateTitle}</h1>
      <p>{t.certificateIntro}</p>
      <PostForm action="/app/wallet/certificate">
        <Button>{t.certificateMake}</Button>
      </PostForm>
    </>
  );
}

const hours = (lang: Lang, value: number) => new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }).format(value);

/**
 * The certificate as an A4 page: who, how many hours (and of what kind), the star level, its number
 * and date, and a QR code leading to the public page that checks it, with how to check it offline.
 */
export function Certificate(props: { lang: Lang; timeZone: string; certificate: VerifiedCertificate; verifyQrSvg: string }) {
  const t = walletStrings[props.lang];
  const c = props.certificate;
  return (
    <>
      <div class="no-print">
        <a class="back-link" href="/app/wallet">
          {t.backHome}
        </a>
        <button type="button" class="button button-secondary" id="print-button" hidden>
          {t.certificatePrint}
        </button>
      </div>
      <article class="certificate" id="certificate">
        <h1>{t.certificateTitle}</h1>
        <p class="certificate-number">
          {t.certificateNumber}：<span id="certificate-number">{c.certificateNumber}</span>
        </p>
        <p>{t.certificateBody(c.programme)}</p>
        <SummaryList
          rows={[
            [t.certificateName, c.volunteer.name],
            [t.certificateStars, t.starsValue(c.starLevel)],
            [t.certificateIssued, formatDate(props.lang, c.issuedAt, props.timeZone)],
          ]}
        />
        <p class="certificate-label">{t.certificateHours}</p>
        <p class="certificate-hours" id="certificate-hours">
          {t.certificateHoursValue(hours(props.lang, c.totalHours))}
        </p>
        {c.hoursByType.length > 0 && (
          <Table
            caption={t.certificateByType}
            head={[t.certificateType, t.certificateTypeHours]}
            numeric={[1]}
            rows={c.hoursByType.map((row) => [row.typeName, formatNumber(props.lang, row.hours)])}
          />
        )}
        <div class="certificate-foot">
          <Qr svg={props.verifyQrSvg} label={t.certificateQrLabel} class="qr-small" id="certificate-qr" />
          <div>
            <p>{t.certificateVerify}</p>
            <p>{t.certificateOffline}</p>
          </div>
        </div>
      </article>
    </>
  );
}

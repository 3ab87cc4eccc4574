import { Hono } from 'hono';
import { DomainError } from '../../errors.js';
import { verifyCertificate, type VerifiedCertificate } from '../../records/certificate.js';
import { Outcome, SummaryList } from '../common/components.js';
import type { Lang } from '../common/i18n.js';
import { formatDate } from '../common/i18n.js';
import type { PageDeps, PageEnv } from '../common/env.js';
import { renderPage } from '../common/render.js';
import { verifyStrings } from './strings.js';

function Verified(props: { lang: Lang; timeZone: string; certificate: VerifiedCertificate }) {
  const t = verifyStrings[props.lang];
  const c = props.certificate;
  return (
    <Outcome tone="ok" title={t.valid} id="verify-outcome">
      <p>{t.validBody}</p>
      <SummaryList
        rows={[
          [t.number, c.certificateNumber],
          [t.name, c.volunteer.name],
          [t.hours, t.hoursValue(new Intl.NumberFormat(props.lang, { maximumFractionDigits: 2 }).format(c.totalHours))],
          [t.stars, t.starsValue(c.starLevel)],
          [t.issued, formatDate(props.lang, c.issuedAt, props.timeZone)],
          [t.programme, c.programme],
        ]}
      />
    </Outcome>
  );
}

/**
 * /app/verify?c=<certificate>: anyone, signed in or not, checks a certificate of service, as the
 * QR code on the printed certificate leads them here.
 */
export function verifyPages(deps: PageDeps) {
  const app = new Hono<PageEnv>();
  app.get('/', async (c) => {
    const { lang } = c.get('page');
    const t = verifyStrings[lang];
    const jws = c.req.query('c');
    let body;
    let status: 200 | 400 = 200;
    if (!jws) {
      body = <p>{t.missing}</p>;
    } else {
      try {
        body = <Verified lang={lang} timeZone={deps.config.PROGRAMME_TIME_ZONE} certificate={await verifyCertificate(deps, jws)} />;
      } catch (error) {
        if (!(error instanceof DomainError) || error.code !== 'validation_failed') throw error;
        status = 400;
        body = (
          <Outcome tone="bad" title={t.invalid} id="verify-outcome">
            <p>{t.invalidBody}</p>
          </Outcome>
        );
      }
    }
    return renderPage(
      c,
      deps,
      { title: t.title, status },
      <>
        <h1>{t.title}</h1>
        {body}
        <p class="hint">{t.offline}</p>
      </>,
    );
  });
  return app;
}

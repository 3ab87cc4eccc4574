import { SummaryList } from '../common/components.js';
import { formatNumber, type Lang } from '../common/i18n.js';
import { officeStrings } from './strings.js';

/** The office's sections, in the order the office's day runs. */
export function officeSections(lang: Lang): { href: string; label: string }[] {
  const t = officeStrings[lang];
  return [
    { href: '/app/office/summary', label: t.navSummary },
    { href: '/app/office/shops', label: t.navShops },
    { href: '/app/office/ledger', label: t.navLedger },
    { href: '/app/office/units', label: t.navUnits },
    { href: '/app/office/organisers', label: t.navOrganisers },
    { href: '/app/office/merchants', label: t.navMerchants },
    { href: '/app/office/types', label: t.navTypes },
    { href: '/app/office/packs', label: t.navPacks },
  ];
}

/** "Back to the office", at the top of every page below the home. */
export function BackToOffice(props: { lang: Lang }) {
  return (
    <a class="back-link no-print" href="/app/office">
      {officeStrings[props.lang].backToOffice}
    </a>
  );
}

export interface OfficeFigures {
  outstanding: number;
  held: number;
  owedToMerchants: number;
  issued: number;
}

/** The office's home: the programme's position in four figures, then every section. */
export function OfficeHome(props: { lang: Lang; figures: OfficeFigures }) {
  const t = officeStrings[props.lang];
  const n = (v: number) => t.points(formatNumber(props.lang, v));
  return (
    <>
      <h1>{t.homeTitle}</h1>
      <p class="lead">{t.homeLead}</p>
      <SummaryList
        rows={[
          [t.outstanding, <span id="outstanding">{n(props.figures.outstanding)}</span>],
          [t.held, <span id="held">{n(props.figures.held)}</span>],
          [t.owedToShops, <span id="owed">{n(props.figures.owedToMerchants)}</span>],
          [t.issuedToDate, n(props.figures.issued)],
        ]}
      />
      <h2>{t.sections}</h2>
      <ul class="office-nav">
        {officeSections(props.lang).map((s) => (
          <li>
            <a href={s.href}>{s.label}</a>
          </li>
        ))}
      </ul>
    </>
  );
}

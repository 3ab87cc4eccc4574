import type { MerchantBalance, MerchantBalances, MerchantLine, MerchantStatement } from '../../reports/schemas.js';
import { Button, ErrorSummary, Field, Outcome, PostForm, SummaryList, Table } from '../common/components.js';
import { formatDateTime, formatNumber, type Lang } from '../common/i18n.js';
import { sharedStrings } from '../common/strings.js';
import { BackToOffice } from './home.js';
import { officeStrings } from './strings.js';

/** Every shop with what it is owed now, paid in all, and this month's redemptions and payments. */
export function ShopsPage(props: { lang: Lang; timeZone: string; head: Omit<MerchantBalances, 'items'>; shops: MerchantBalance[] }) {
  const { lang } = props;
  const t = officeStrings[lang];
  const n = (v: number) => formatNumber(lang, v);
  return (
    <>
      <BackToOffice lang={lang} />
      <h1>{t.shopsTitle}</h1>
      <p>{t.shopsLead}</p>
      <SummaryList rows={[[t.totalOwed, <span id="total-owed">{t.points(n(props.head.totals.owed))}</span>]]} />
      {/* A card per shop: what is owed first, large; the rest read down, so a phone needs no sideways scroll. */}
      {props.shops.length === 0 ? (
        <p class="empty">{t.none}</p>
      ) : (
        <ul class="cards" id="shops" aria-label={t.shopsTitle}>
          {props.shops.map((s) => (
            <li class="card">
              <h2 class="card-title">
                <a href={`/app/office/shops/${s.merchantId}`}>{s.name}</a>
                {s.status === 'inactive' && <span class="meta"> · {t.inactive}</span>}
              </h2>
              <SummaryList
                rows={[
                  [t.owedNow, <span data-owed={s.merchantId}>{t.points(n(s.owed))}</span>],
                  [t.settledTotal, t.points(n(s.settledTotal))],
                  [t.redeemedThisMonth, t.points(n(s.redeemedPoints))],
                  [t.settledThisMonth, t.points(n(s.settledPoints))],
                  [t.lastSettlement, s.lastSettlementAt ? formatDateTime(lang, s.lastSettlementAt, props.timeZone) : t.never],
                ]}
              />
            </li>
          ))}
        </ul>
      )}
      <p>
        <a href={`/app/office/exports/merchants.csv?from=${props.head.period.firstDay}&to=${props.head.period.lastDay}`} download>
          {t.exportShops} (CSV)
        </a>
      </p>
    </>
  );
}

export interface SettleForm {
  points: string;
  reference: string;
  key: string;
  errors: { field: string; message: string }[];
}

export interface StatementRange {
  from: string;
  to: string;
  error?: string | undefined;
}

const kindWord = (t: (typeof officeStrings)['zh-CN'], kind: MerchantLine['kind']) => (kind === 'redemption' ? t.kindRedemption : kind === 'settlement' ? t.kindSettlement : t.kindOther);

/**
 * One shop: what it is owed now, the form to record a payment (with its idempotency key, so a
 * double submission records one payment), and its statement for a range of days.
 */
export function ShopPage(props: {
  lang: Lang;
  timeZone: string;
  shop: { id: string; name: string };
  owed: number;
  settledTotal: number;
  done?: { points: number; reference: string; owed: number } | undefined;
  form: SettleForm;
  range: StatementRange;
  statement: Omit<MerchantStatement, 'items'>;
  lines: MerchantLine[];
}) {
  const { lang, form } = props;
  const t = officeStrings[lang];
  const n = (v: number) => formatNumber(lang, v);
  const errorOf = (field: string) => form.errors.find((e) => e.field === field)?.message;
  const s = props.statement;
  const qs = new URLSearchParams({ from: props.range.from, to: props.range.to }).toString();
  return (
    <>
      <BackToOffice lang={lang} />
      <p class="no-print">
        <a href="/app/office/shops">{t.shopsTitle}</a>
      </p>
      <h1>{t.shopTitle(props.shop.name)}</h1>
      {props.done && (
        <Outcome tone="ok" title={t.settleDone} id="settled">
          <p>{t.settleDoneBody(n(props.done.points), props.done.reference, n(props.done.owed))}</p>
        </Outcome>
      )}
      <SummaryList
        rows={[
          [t.owedNow, <span id="owed">{t.points(n(props.owed))}</span>],
          [t.settledTotal, <span id="settled-total">{t.points(n(props.settledTotal))}</span>],
        ]}
      />
      <h2>{t.settleHeading}</h2>
      {props.owed > 0 ? (
        <>
          <p>{t.settleLead}</p>
          <ErrorSummary title={t.fixError} errors={form.errors} />
          <PostForm action={`/app/office/shops/${props.shop.id}/settlements`} id="settle-form">
            <input type="hidden" name="key" value={form.key} />
            <Field id="points" label={t.settlePoints} hint={t.settlePointsHint(n(props.owed))} error={errorOf('points')} errorPrefix={sharedStrings[lang].errorPrefix} value={form.points} inputmode="numeric" autocomplete="off" />
            <Field id="reference" label={t.settleReference} hint={t.settleReferenceHint} error={errorOf('reference')} errorPrefix={sharedStrings[lang].errorPrefix} value={form.reference} maxlength={200} autocomplete="off" spellcheck={false} wide />
            <Button>{t.settleSubmit}</Button>
          </PostForm>
        </>
      ) : (
        <p id="nothing-owed">{t.nothingOwed}</p>
      )}

      <h2 id="statement">{t.statementHeading}</h2>
      <form method="get" action={`/app/office/shops/${props.shop.id}#statement`} class="filters no-print">
        {props.range.error && (
          <p class="error-message" id="range-error">
            {props.range.error}
          </p>
        )}
        <div class="field">
          <label class="label" for="from">
            {t.statementFrom}
          </label>
          <p class="hint">{t.statementHint}</p>
          <input class="input" id="from" name="from" type="text" inputmode="numeric" value={props.range.from} aria-invalid={props.range.error ? 'true' : undefined} />
        </div>
        <div class="field">
          <label class="label" for="to">
            {t.statementTo}
          </label>
          <input class="input" id="to" name="to" type="text" inputmode="numeric" value={props.range.to} aria-invalid={props.range.error ? 'true' : undefined} />
        </div>
        <Button variant="secondary">{t.show}</Button>
      </form>
      <p>{t.periodIs(s.period.firstDay, s.period.lastDay)}</p>
      <SummaryList
        rows={[
          [t.openingOwed, n(s.openingOwed)],
          [t.redeemed, t.redemptionsLine(s.redemptions.count, n(s.redemptions.points))],
          [t.kindSettlement, t.settlementsLine(s.settlements.count, n(s.settlements.points))],
          [t.closingOwed, <span id="closing-owed">{n(s.closingOwed)}</span>],
        ]}
      />
      <Table
        id="statement-lines"
        caption={t.statementHeading}
        head={[t.lineTime, t.lineKind, t.linePack, t.linePoints, t.lineOwedAfter]}
        numeric={[3, 4]}
        empty={t.noLines}
        rows={props.lines.map((l) => [formatDateTime(lang, l.createdAt, props.timeZone), kindWord(t, l.kind), l.packTitle ?? l.reference ?? '', n(l.points), n(l.owedAfter)])}
      />
      <p class="no-print">
        <a href={`/app/office/shops/${props.shop.id}/statement.csv?${qs}`} download>
          {t.downloadStatement}
        </a>
      </p>
    </>
  );
}

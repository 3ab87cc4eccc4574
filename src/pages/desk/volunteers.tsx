import type { OrgUnit } from '../../orgunits/schemas.js';
import type { ServiceRecord } from '../../records/schemas.js';
import type { Volunteer } from '../../volunteers/schemas.js';
import { Button, ButtonLink, ErrorSummary, Field, Outcome, Pager, PostForm, Select, SummaryList, Table } from '../common/components.js';
import { formatDateTime, formatNumber, type Lang } from '../common/i18n.js';
import { Hidden } from './form.js';
import { deskStrings } from './strings.js';
import { hoursText, recordStatusText, type FormErrors } from './view.js';

/** The desk's volunteer pages: find, register, one volunteer (award, deactivate, card). */

export function unitOptions(units: OrgUnit[]) {
  return units.map((u) => ({ value: u.id, label: `${'　'.repeat(Math.max(0, u.depth - 1))}${u.name}` }));
}

export function VolunteerList(props: { lang: Lang; q: string; items: Volunteer[]; units: Map<string, string>; nextHref?: string | undefined; firstHref?: string | undefined; notice?: string | undefined }) {
  const t = deskStrings[props.lang];
  return (
    <>
      <a class="back-link" href="/app/desk">
        {t.backToDesk}
      </a>
      <h1>{t.volunteersTitle}</h1>
      {props.notice && <Outcome tone="ok" title={props.notice} id="notice" />}
      <form method="get" action="/app/desk/volunteers" role="search" class="find-form">
        <Field id="q" label={t.findLabel} hint={t.findHint} errorPrefix={t.errorPrefix} value={props.q} type="search" maxlength={100} autocomplete="off" />
        <Button>{t.findButton}</Button>
      </form>
      <div class="button-row">
        <ButtonLink href="/app/desk/volunteers/new" variant="secondary">
          {t.registerLink}
        </ButtonLink>
      </div>
      {props.q && <p id="find-count">{t.findResults(props.items.length)}</p>}
      <PostForm action="/app/desk/cards" id="cards-form" label={t.cardsTitle}>
        <Table
          id="volunteers"
          caption={t.volunteersCaption}
          empty={t.noVolunteersFound}
          head={[<span class="visually-hidden">{t.printCardsLink}</span>, t.colName, t.colPhone, t.colUnit, t.colStatus]}
          rows={props.items.map((v) => [
            <input type="checkbox" class="checkbox" name="id" value={v.id} aria-label={`${t.printCardsLink}: ${v.name}`} disabled={v.status !== 'active'} />,
            <a href={`/app/desk/volunteers/${v.id}`}>{v.name}</a>,
            v.phone ?? '',
            props.units.get(v.orgUnitId) ?? '',
            v.status === 'active' ? t.active : t.inactive,
          ])}
        />
        {props.items.length > 0 && (
          <>
            <p class="hint">{t.cardsSelectHint}</p>
            <Button variant="secondary">{t.cardsMake}</Button>
          </>
        )}
      </PostForm>
      <Pager newerHref={props.firstHref} olderHref={props.nextHref} newerLabel={t.back} olderLabel={t.more} />
    </>
  );
}

export interface RegisterValues {
  name?: string;
  phone?: string;
  orgUnitId?: string;
}

export function RegisterForm(props: { lang: Lang; units: OrgUnit[]; values: RegisterValues; errors: FormErrors }) {
  const t = deskStrings[props.lang];
  const e = props.errors;
  return (
    <>
      <a class="back-link" href="/app/desk/volunteers">
        {t.back}
      </a>
      <h1>{t.registerTitle}</h1>
      <ErrorSummary title={t.errorsTitle} errors={Object.entries(e).map(([field, message]) => ({ field, message }))} />
      <PostForm action="/app/desk/volunteers" id="register">
        <Field id="name" label={t.nameLabel} errorPrefix={t.errorPrefix} value={props.values.name} error={e.name} maxlength={200} autocomplete="off" />
        <Field id="phone" label={t.phoneLabel} hint={t.phoneHint} errorPrefix={t.errorPrefix} value={props.values.phone} error={e.phone} type="tel" inputmode="tel" maxlength={32} autocomplete="off" />
        <Select id="orgUnitId" label={t.unitLabel} options={unitOptions(props.units)} value={props.values.orgUnitId} error={e.orgUnitId} errorPrefix={t.errorPrefix} />
        <Button>{t.registerButton}</Button>
      </PostForm>
    </>
  );
}

export interface StatementLine {
  kind: string;
  amount: number;
  memo: string | null;
  createdAt: string;
}

export function VolunteerDetail(props: {
  lang: Lang;
  timeZone: string;
  volunteer: Volunteer;
  unitName: string;
  figures: { balance: number; held: number; serviceMinutes: number; starLevel: number };
  statement: StatementLine[];
  records: ServiceRecord[];
  awardKey: string;
  awardValues: { points?: string; reason?: string };
  errors: FormErrors;
  notice?: string | undefined;
}) {
  const t = deskStrings[props.lang];
  const v = props.volunteer;
  const e = props.errors;
  return (
    <>
      <a class="back-link" href="/app/desk/volunteers">
        {t.back}
      </a>
      <h1>{t.volunteerTitle(v.name)}</h1>
      {props.notice && <Outcome tone="ok" title={props.notice} id="notice" />}
      <ErrorSummary title={t.errorsTitle} errors={Object.entries(e).map(([field, message]) => ({ field, message }))} />
      <SummaryList
        rows={[
          [t.colUnit, props.unitName],
          [t.colPhone, v.phone ?? t.none],
          [t.colStatus, v.status === 'active' ? t.active : t.inactive],
          [t.balanceLabel, <span id="balance">{formatNumber(props.lang, props.figures.balance)}</span>],
          [t.heldLabel, formatNumber(props.lang, props.figures.held)],
          [t.hoursLabel, <span id="hours">{t.hoursValue(hoursText(props.lang, props.figures.serviceMinutes))}</span>],
          [t.starsLabel, t.starsValue(props.figures.starLevel)],
        ]}
      />
      {v.status === 'active' && (
        <>
          <h2 id="award-title">{t.awardTitle}</h2>
          <PostForm action={`/app/desk/volunteers/${v.id}/award`} id="award" label={t.awardTitle}>
            <Hidden name="key" value={props.awardKey} />
            <Field id="points" label={t.awardPointsLabel} errorPrefix={t.errorPrefix} value={props.awardValues.points} error={e.points} inputmode="numeric" maxlength={7} autocomplete="off" />
            <Field id="reason" label={t.awardReasonLabel} hint={t.awardReasonHint} errorPrefix={t.errorPrefix} value={props.awardValues.reason} error={e.reason} maxlength={500} autocomplete="off" wide />
            <Button>{t.awardButton}</Button>
          </PostForm>
        </>
      )}
      <h2>{t.statementTitle}</h2>
      <StatementLines lang={props.lang} timeZone={props.timeZone} lines={props.statement} />
      {props.statement.length > 0 && (
        <p>
          <a href={`/app/desk/volunteers/${v.id}/statement`}>{t.statementAll}</a>
        </p>
      )}
      <h2>{t.recordsTitle}</h2>
      <Table
        caption={t.recordsTitle}
        empty={t.noRecords}
        head={[t.colActivity, t.colRecord, t.colMinutes, t.colPoints, '']}
        numeric={[2, 3]}
        rows={props.records.map((r) => [
          r.activityTitle,
          recordStatusText(t, r.status),
          t.minutesValue(r.minutes),
          formatNumber(props.lang, r.points),
          r.status === 'rejected' ? '' : <a href={`/app/desk/hours/${r.id}/correct`}>{t.correctLink}</a>,
        ])}
      />
      {v.status === 'active' && (
        <>
          <div class="button-row">
            <form method="post" action="/app/desk/cards" class="inline-form">
              <Hidden name="id" value={v.id} />
              <Button variant="secondary">{t.cardLink}</Button>
            </form>
          </div>
          <h2>{t.deactivateTitle}</h2>
          <p class="hint">{t.deactivateHint}</p>
          <PostForm action={`/app/desk/volunteers/${v.id}/deactivate`} id="deactivate" label={t.deactivateTitle}>
            <Button variant="warning">{t.deactivateButton}</Button>
          </PostForm>
        </>
      )}
    </>
  );
}

export function StatementLines(props: { lang: Lang; timeZone: string; lines: StatementLine[] }) {
  const t = deskStrings[props.lang];
  if (props.lines.length === 0) return <p class="empty">{t.noStatement}</p>;
  return (
    <ul class="lines" id="statement">
      {props.lines.map((line) => (
        <li class="line">
          <span>
            <span class="line-what">{line.memo ?? line.kind}</span>
            <span class="line-when">{formatDateTime(props.lang, line.createdAt, props.timeZone)}</span>
          </span>
          <span class={line.amount >= 0 ? 'amount amount-in' : 'amount amount-out'}>{`${line.amount >= 0 ? '+' : ''}${formatNumber(props.lang, line.amount)}`}</span>
        </li>
      ))}
    </ul>
  );
}

/** A volunteer's whole statement, newest first, a page at a time. */
export function StatementPage(props: { lang: Lang; timeZone: string; volunteer: Volunteer; lines: StatementLine[]; olderHref?: string | undefined; newestHref?: string | undefined }) {
  const t = deskStrings[props.lang];
  return (
    <>
      <a class="back-link" href={`/app/desk/volunteers/${props.volunteer.id}`}>
        {t.back}
      </a>
      <h1>{t.statementPageTitle(props.volunteer.name)}</h1>
      <StatementLines lang={props.lang} timeZone={props.timeZone} lines={props.lines} />
      <Pager newerHref={props.newestHref} olderHref={props.olderHref} newerLabel={t.back} olderLabel={t.more} />
    </>
  );
}

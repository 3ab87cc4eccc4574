import type { Activity } from '../../activities/schemas.js';
import type { ActivityType } from '../../activitytypes/schemas.js';
import type { OrgUnit } from '../../orgunits/schemas.js';
import type { ActivityReport, Participant } from '../../reports/schemas.js';
import { Button, ButtonLink, ErrorSummary, Field, Outcome, PostForm, Qr, Select, SummaryList, Table } from '../common/components.js';
import { formatDateTime, formatNumber, type Lang } from '../common/i18n.js';
import { BarChart } from '../common/charts.js';
import { deskStrings } from './strings.js';
import { activityStatusText, recordStatusText, type FormErrors } from './view.js';
import { unitOptions } from './volunteers.js';

/** The desk's activity pages: today's and upcoming, create one, one activity live, the projector. */

function ActivityCards(props: { lang: Lang; timeZone: string; items: Activity[]; empty: string; id: string }) {
  const t = deskStrings[props.lang];
  if (props.items.length === 0) return <p class="empty" id={props.id}>{props.empty}</p>;
  return (
    <ul class="cards" id={props.id}>
      {props.items.map((a) => (
        <li class="card">
          <h3 class="card-title">
            <a href={`/app/desk/activities/${a.id}`}>{a.title}</a>
          </h3>
          <SummaryList
            rows={[
              [t.whenLabel, `${formatDateTime(props.lang, a.startsAt, props.timeZone)} – ${formatDateTime(props.lang, a.endsAt, props.timeZone)}`],
              [t.typeLabel, a.typeName],
              [t.signedUpLabel, a.capacity ? `${a.signedUp} / ${a.capacity}` : String(a.signedUp)],
            ]}
          />
        </li>
      ))}
    </ul>
  );
}

export function ActivityList(props: { lang: Lang; timeZone: string; today: Activity[]; upcoming: Activity[]; notice?: string | undefined }) {
  const t = deskStrings[props.lang];
  return (
    <>
      <a class="back-link" href="/app/desk">
        {t.backToDesk}
      </a>
      <h1>{t.activitiesTitle}</h1>
      {props.notice && <Outcome tone="ok" title={props.notice} id="notice" />}
      <div class="button-row">
        <ButtonLink href="/app/desk/activities/new">{t.createLink}</ButtonLink>
      </div>
      <h2>{t.todayTitle}</h2>
      <ActivityCards lang={props.lang} timeZone={props.timeZone} items={props.today} empty={t.noActivitiesToday} id="today" />
      <h2>{t.upcomingTitle}</h2>
      <ActivityCards lang={props.lang} timeZone={props.timeZone} items={props.upcoming} empty={t.noUpcoming} id="upcoming" />
    </>
  );
}

export interface ActivityValues {
  title?: string;
  typeCode?: string;
  orgUnitId?: string;
  date?: string;
  start?: string;
  end?: string;
  place?: string;
  capacity?: string;
}

export function CreateActivityForm(props: { lang: Lang; units: OrgUnit[]; types: ActivityType[]; values: ActivityValues; errors: FormErrors }) {
  const t = deskStrings[props.lang];
  const e = props.errors;
  const v = props.values;
  return (
    <>
      <a class="back-link" href="/app/desk/activities">
        {t.back}
      </a>
      <h1>{t.createTitle}</h1>
      <ErrorSummary title={t.errorsTitle} errors={Object.entries(e).map(([field, message]) => ({ field, message }))} />
      <PostForm action="/app/desk/activities" id="create-activity">
        <Field id="title" label={t.titleLabel} errorPrefix={t.errorPrefix} value={v.title} error={e.title} maxlength={200} autocomplete="off" wide />
        <Select id="typeCode" label={t.typeLabel} options={props.types.map((ty) => ({ value: ty.code, label: ty.name }))} value={v.typeCode} error={e.typeCode} errorPrefix={t.errorPrefix} />
        <Select id="orgUnitId" label={t.unitLabel} options={unitOptions(props.units)} value={v.orgUnitId} error={e.orgUnitId} errorPrefix={t.errorPrefix} />
        <Field id="date" label={t.dateLabel} errorPrefix={t.errorPrefix} value={v.date} error={e.date} type="date" />
        <Field id="start" label={t.startLabel} hint={t.timeHint} errorPrefix={t.errorPrefix} value={v.start} error={e.start} inputmode="numeric" maxlength={5} autocomplete="off" />
        <Field id="end" label={t.endLabel} hint={t.timeHint} errorPrefix={t.errorPrefix} value={v.end} error={e.end} inputmode="numeric" maxlength={5} autocomplete="off" />
        <Field id="place" label={t.placeLabel} errorPrefix={t.errorPrefix} value={v.place} error={e.place} maxlength={200} autocomplete="off" wide />
        <Field id="capacity" label={t.capacityLabel} errorPrefix={t.errorPrefix} value={v.capacity} error={e.capacity} inputmode="numeric" maxlength={6} autocomplete="off" />
        <Button>{t.createButton}</Button>
      </PostForm>
    </>
  );
}

/** Who signed up, checked in and out: refreshed in place by desk.js every 10 seconds. */
export function LiveParticipants(props: { lang: Lang; activityId: string; items: Participant[]; outside: number }) {
  const t = deskStrings[props.lang];
  return (
    <div id="live" data-live-url={`/app/desk/activities/${props.activityId}/live`} data-live-ms="10000" aria-live="polite">
      <Table
        id="participants"
        caption={t.liveTitle}
        empty={t.noParticipants}
        head={[t.colName, t.colRecord, t.colMinutes]}
        numeric={[2]}
        rows={props.items.map((p) => [p.name, recordStatusText(t, p.recordStatus), p.recordStatus ? t.minutesValue(p.minutes) : ''])}
      />
      {props.outside > 0 && <p class="hint">{t.outsideScope(props.outside)}</p>}
    </div>
  );
}

export function ActivityDetail(props: { lang: Lang; timeZone: string; activity: Activity; unitName: string; participants: Participant[]; outside: number; notice?: string | undefined }) {
  const t = deskStrings[props.lang];
  const a = props.activity;
  return (
    <>
      <a class="back-link" href="/app/desk/activities">
        {t.back}
      </a>
      <h1>{a.title}</h1>
      {props.notice && <Outcome tone="ok" title={props.notice} id="notice" />}
      <SummaryList
        rows={[
          [t.whenLabel, `${formatDateTime(props.lang, a.startsAt, props.timeZone)} – ${formatDateTime(props.lang, a.endsAt, props.timeZone)}`],
          [t.whereLabel, a.place ?? t.none],
          [t.typeLabel, a.typeName],
          [t.colUnit, props.unitName],
          [t.signedUpLabel, a.capacity ? `${a.signedUp} / ${a.capacity}` : String(a.signedUp)],
          [t.statusLabel, activityStatusText(t, a.status)],
        ]}
      />
      <div class="button-row">
        {a.status !== 'cancelled' && (
          <ButtonLink href={`/app/desk/activities/${a.id}/check-in`} id="projector-link">
            {t.projectorLink}
          </ButtonLink>
        )}
        <ButtonLink href={`/app/desk/hours?activityId=${a.id}`} variant="secondary">
          {t.menuHours}
        </ButtonLink>
        <ButtonLink href={`/app/desk/hours/bulk?activityId=${a.id}`} variant="secondary">
          {t.enterHoursLink}
        </ButtonLink>
        <ButtonLink href={`/app/desk/reports/activities/${a.id}`} variant="secondary">
          {t.reportLink}
        </ButtonLink>
      </div>
      <h2>{t.liveTitle}</h2>
      <p class="hint">{t.liveHint}</p>
      <LiveParticipants lang={props.lang} activityId={a.id} items={props.participants} outside={props.outside} />
    </>
  );
}

export interface ShownCode {
  code: string;
  /** What the QR code holds: the wallet's check-in address with the code, or the code alone. */
  target: string;
  rotatesAt: string;
  running: boolean;
}

/** The code of the moment, large: refreshed in place by desk.js just after it rotates. */
export function LiveCode(props: { lang: Lang; activityId: string; shown: ShownCode; svg: string }) {
  const t = deskStrings[props.lang];
  const untilRotation = Math.max(1000, Date.parse(props.shown.rotatesAt) - Date.now() + 500);
  return (
    <div class="projector-code" id="check-in-code" data-live-url={`/app/desk/activities/${props.activityId}/check-in/live`} data-live-ms={String(untilRotation)} data-target={props.shown.target}>
      {!props.shown.running && (
        <p class="outcome outcome-info" id="not-running">
          {t.projectorClosed}
        </p>
      )}
      <p class="projector-scan">{t.projectorScan}</p>
      <Qr svg={props.svg} label={t.qrWhat} id="check-in-qr" class="qr-projector" />
      <p class="projector-scan">{t.projectorCode}</p>
      <p class="code-text projector-digits" id="code">
        {props.shown.code}
      </p>
    </div>
  );
}

export function Projector(props: { lang: Lang; activity: Activity; shown: ShownCode; svg: string }) {
  const t = deskStrings[props.lang];
  return (
    <div class="projector">
      <h1 class="projector-title">{props.activity.title}</h1>
      <LiveCode lang={props.lang} activityId={props.activity.id} shown={props.shown} svg={props.svg} />
      <p class="hint">{t.projectorRotates}</p>
      <p class="no-print">
        <a href={`/app/desk/activities/${props.activity.id}/check-in`}>{t.projectorRefresh}</a> · <a href={`/app/desk/activities/${props.activity.id}`}>{t.back}</a>
      </p>
    </div>
  );
}

export function ActivityReportPage(props: { lang: Lang; timeZone: string; head: Omit<ActivityReport, 'items'>; items: Participant[] }) {
  const t = deskStrings[props.lang];
  const h = props.head;
  return (
    <>
      <a class="back-link" href={`/app/desk/activities/${h.activity.id}`}>
        {t.back}
      </a>
      <h1>{t.activityReportTitle(h.activity.title)}</h1>
      <SummaryList
        rows={[
          [t.whenLabel, `${formatDateTime(props.lang, h.activity.startsAt, props.timeZone)} – ${formatDateTime(props.lang, h.activity.endsAt, props.timeZone)}`],
          [t.totalsSignedUp, formatNumber(props.lang, h.totals.signedUp)],
          [t.totalsApproved, formatNumber(props.lang, h.totals.approved)],
          [t.totalsPending, formatNumber(props.lang, h.totals.pendingApprovals)],
          [t.totalsRejected, formatNumber(props.lang, h.totals.rejected)],
          [t.totalsMinutes, t.minutesValue(h.totals.approvedMinutes)],
          [t.totalsPoints, formatNumber(props.lang, h.totals.pointsCredited)],
        ]}
      />
      <BarChart
        id="activity-chart"
        title={t.activityReportTitle(h.activity.title)}
        description={t.activityChartDescription}
        unit={t.unitPeople}
        categoryHeader={t.colRecord}
        series={[{ key: 'people', label: t.colVolunteers }]}
        rows={[
          { label: t.totalsSignedUp, values: { people: h.totals.signedUp } },
          { label: t.totalsApproved, values: { people: h.totals.approved } },
          { label: t.totalsPending, values: { people: h.totals.pendingApprovals } },
          { label: t.totalsRejected, values: { people: h.totals.rejected } },
        ]}
        locale={props.lang}
        emptyText={t.noFigures}
      />
      <div class="button-row">
        <ButtonLink href={`/app/desk/reports/activities/${h.activity.id}.csv`} variant="secondary">
          {t.downloadCsv}
        </ButtonLink>
      </div>
      <Table
        caption={t.liveTitle}
        empty={t.noParticipants}
        head={[t.colName, t.colRecord, t.colMinutes, t.colPoints]}
        numeric={[2, 3]}
        rows={props.items.map((p) => [p.name, recordStatusText(t, p.recordStatus), t.minutesValue(p.minutes), formatNumber(props.lang, p.pointsCredited)])}
      />
      {h.participantsOutsideScope > 0 && <p class="hint">{t.outsideScope(h.participantsOutsideScope)}</p>}
    </>
  );
}

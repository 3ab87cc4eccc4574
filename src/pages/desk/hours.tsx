import type { Activity } from '../../activities/schemas.js';
import type { PreviewRow } from '../../records/sheet-entry.js';
import type { ServiceRecord } from '../../records/schemas.js';
import { Button, ErrorSummary, Field, Outcome, Pager, PostForm, Select, SummaryList, Table, TextArea } from '../common/components.js';
import { formatDateTime, type Lang } from '../common/i18n.js';
import { FileInput, Hidden } from './form.js';
import { deskStrings, type DeskStrings } from './strings.js';
import { hoursText, type FormErrors } from './view.js';

/** The desk's hours pages: the approval queue, a sheet of hours (form, preview, done), a correction. */

export type QueuedRecord = ServiceRecord & { volunteerName: string | null };

export function Queue(props: { lang: Lang; timeZone: string; items: QueuedRecord[]; nextHref?: string | undefined; firstHref?: string | undefined; notice?: string | undefined; error?: string | undefined; activityId?: string | undefined }) {
  const t = deskStrings[props.lang];
  const form = 'decide';
  return (
    <>
      <a class="back-link" href="/app/desk">
        {t.backToDesk}
      </a>
      <h1>{t.hoursTitle}</h1>
      {props.notice && <Outcome tone="ok" title={props.notice} id="notice" />}
      {props.error && <Outcome tone="bad" title={props.error} id="refused" />}
      <div class="button-row">
        <a class="button button-secondary" href="/app/desk/hours/bulk">
          {t.menuBulk}
        </a>
      </div>
      {props.items.length === 0 ? (
        <p class="empty" id="queue-empty">
          {t.queueEmpty}
        </p>
      ) : (
        <>
          <Table
            id="queue"
            caption={t.queueCaption}
            head={[t.colVolunteer, t.colActivity, t.colMinutes, t.colDecision]}
            numeric={[2]}
            rows={props.items.map((r) => [
              r.volunteerName ?? t.someoneOutside,
              <>
                {r.activityTitle}
                <span class="line-when">{formatDateTime(props.lang, r.createdAt, props.timeZone)}</span>
              </>,
              t.minutesValue(r.minutes),
              <span class="decide">
                <button type="submit" form={form} class="button button-primary button-small" name="one" value={`approve:${r.id}`} aria-label={`${t.approve}: ${r.volunteerName ?? t.someoneOutside}`}>
                  {t.approve}
                </button>
                <button type="submit" form={form} class="button button-secondary button-small" name="one" value={`reject:${r.id}`} aria-label={`${t.reject}: ${r.volunteerName ?? t.someoneOutside}`}>
                  {t.reject}
                </button>
              </span>,
            ])}
          />
          <form method="post" action="/app/desk/hours/decide" id={form} aria-label={t.hoursTitle}>
            {props.items.map((r) => (
              <Hidden name="id" value={r.id} />
            ))}
            {props.activityId && <Hidden name="activityId" value={props.activityId} />}
            <Field id="reason" label={t.rejectReasonLabel} errorPrefix={t.errorPrefix} maxlength={500} autocomplete="off" wide />
            <div class="button-row">
              <Button name="all" value="approve" id="approve-all">
                {t.approveAll(props.items.length)}
              </Button>
              <Button name="all" value="reject" variant="warning" id="reject-all">
                {t.rejectAll(props.items.length)}
              </Button>
            </div>
          </form>
        </>
      )}
      <Pager newerHref={props.firstHref} olderHref={props.nextHref} newerLabel={t.back} olderLabel={t.more} />
    </>
  );
}

export function activityOptions(lang: Lang, timeZone: string, activities: Activity[]) {
  return activities.map((a) => ({ value: a.id, label: `${a.title}（${formatDateTime(lang, a.startsAt, timeZone)}）` }));
}

export function BulkForm(props: { lang: Lang; timeZone: string; activities: Activity[]; activityId?: string | undefined; sheet?: string | undefined; errors: FormErrors }) {
  const t = deskStrings[props.lang];
  const e = props.errors;
  return (
    <>
      <a class="back-link" href="/app/desk/hours">
        {t.back}
      </a>
      <h1>{t.bulkTitle}</h1>
      <ErrorSummary title={t.errorsTitle} errors={Object.entries(e).map(([field, message]) => ({ field, message }))} />
      <p>{t.bulkHint}</p>
      {props.activities.length === 0 ? (
        <p class="empty">{t.bulkNoActivities}</p>
      ) : (
        <BulkFields lang={props.lang} timeZone={props.timeZone} activities={props.activities} activityId={props.activityId} sheet={props.sheet} errors={e} />
      )}
    </>
  );
}

function BulkFields(props: { lang: Lang; timeZone: string; activities: Activity[]; activityId?: string | undefined; sheet?: string | undefined; errors: FormErrors }) {
  const t = deskStrings[props.lang];
  return (
    <form method="post" action="/app/desk/hours/bulk/preview" enctype="multipart/form-data" id="bulk" aria-label={t.bulkTitle} novalidate>
      <Select id="activityId" label={t.bulkActivityLabel} options={activityOptions(props.lang, props.timeZone, props.activities)} value={props.activityId} error={props.errors.activityId} errorPrefix={t.errorPrefix} />
      <TextArea id="sheet" label={t.bulkPasteLabel} value={props.sheet} error={props.errors.sheet} errorPrefix={t.errorPrefix} rows={10} sheet />
      <FileInput id="file" label={t.bulkFileLabel} accept=".csv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" />
      <Button>{t.bulkPreview}</Button>
    </form>
  );
}

export function reasonText(t: DeskStrings, row: PreviewRow): string {
  switch (row.reason) {
    case null:
      return t.matched;
    case 'duplicate':
      return t.reason_duplicate(row.duplicateOfLine ?? 0);
    case 'already_recorded':
      return t.reason_already;
    case 'not_found':
    case 'ambiguous':
    case 'out_of_scope':
    case 'inactive':
    case 'mismatch':
      return t[`reason_${row.reason}`];
    default:
      return t[`problem_${row.reason}`];
  }
}

export function BulkPreview(props: {
  lang: Lang;
  timeZone: string;
  activity: Activity;
  activities: Activity[];
  rows: PreviewRow[];
  bad: number;
  sheet: string;
  entryKey: string;
  refused?: boolean;
}) {
  const t = deskStrings[props.lang];
  const good = props.bad === 0;
  const shown = good ? props.rows : [...props.rows.filter((r) => r.reason !== null), ...props.rows.filter((r) => r.reason === null)];
  return (
    <>
      <a class="back-link" href={`/app/desk/hours/bulk?activityId=${props.activity.id}`}>
        {t.back}
      </a>
      <h1>{t.bulkPreviewTitle}</h1>
      <SummaryList rows={[[t.bulkActivityLabel, `${props.activity.title}（${formatDateTime(props.lang, props.activity.startsAt, props.timeZone)}）`]]} />
      {good ? (
        <Outcome tone="info" title={t.bulkPreviewGood(props.rows.length)} id="preview-outcome">
          <form method="post" action="/app/desk/hours/bulk" id="bulk-submit">
            <Hidden name="activityId" value={props.activity.id} />
            <Hidden name="sheet" value={Buffer.from(props.sheet, 'utf8').toString('base64')} />
            <Hidden name="key" value={props.entryKey} />
            <Button id="submit-sheet">{t.bulkSubmit(props.rows.length)}</Button>
          </form>
        </Outcome>
      ) : (
        <Outcome tone="bad" title={t.bulkPreviewBad(props.bad, props.rows.length)} id="preview-outcome" />
      )}
      <Table
        id="preview"
        caption={t.bulkCaption}
        head={[t.colLine, t.colName, t.colHours, t.colMatch]}
        numeric={[0, 2]}
        rows={shown.map((r) => [
          String(r.line),
          r.volunteer?.name ?? r.name ?? r.phone ?? r.id ?? '',
          r.minutes !== undefined ? t.hoursValue(hoursText(props.lang, r.minutes)) : '',
          r.reason === null ? t.matched : <strong class="row-problem">{reasonText(t, r)}</strong>,
        ])}
      />
      {!good && (
        <>
          <h2>{t.bulkFixTitle}</h2>
          <BulkFields lang={props.lang} timeZone={props.timeZone} activities={props.activities} activityId={props.activity.id} sheet={props.sheet} errors={{}} />
        </>
      )}
    </>
  );
}

export function BulkDone(props: { lang: Lang; activity: Activity; count: number; replayed: boolean }) {
  const t = deskStrings[props.lang];
  return (
    <>
      <Outcome tone="ok" title={t.bulkDone(props.count)} id="bulk-done">
        {props.replayed && <p id="bulk-again">{t.bulkAgain}</p>}
      </Outcome>
      <div class="button-row">
        <a class="button button-primary" href={`/app/desk/reports/activities/${props.activity.id}`}>
          {t.reportLink}
        </a>
        <a class="button button-secondary" href="/app/desk">
          {t.backToDesk}
        </a>
      </div>
    </>
  );
}

export function CorrectionForm(props: { lang: Lang; record: ServiceRecord; values: { minutes?: string; units?: string; reason?: string }; errors: FormErrors; entryKey: string }) {
  const t = deskStrings[props.lang];
  const e = props.errors;
  return (
    <>
      <a class="back-link" href={`/app/desk/volunteers/${props.record.volunteerId}`}>
        {t.back}
      </a>
      <h1>{t.correctTitle}</h1>
      <ErrorSummary title={t.errorsTitle} errors={Object.entries(e).map(([field, message]) => ({ field, message }))} />
      <SummaryList
        rows={[
          [t.colActivity, props.record.activityTitle],
          [t.colMinutes, t.minutesValue(props.record.minutes)],
          [t.colPoints, String(props.record.points)],
        ]}
      />
      <PostForm action={`/app/desk/hours/${props.record.id}/correct`} id="correct">
        <Hidden name="key" value={props.entryKey} />
        <Field id="minutes" label={t.correctMinutesLabel} errorPrefix={t.errorPrefix} value={props.values.minutes ?? String(props.record.minutes)} error={e.minutes} inputmode="numeric" maxlength={5} autocomplete="off" />
        {props.record.rule.kind === 'per_unit' && (
          <Field id="units" label={t.correctUnitsLabel} errorPrefix={t.errorPrefix} value={props.values.units ?? String(props.record.units)} error={e.units} inputmode="numeric" maxlength={4} autocomplete="off" />
        )}
        <Field id="reason" label={t.correctReasonLabel} errorPrefix={t.errorPrefix} value={props.values.reason} error={e.reason} maxlength={500} autocomplete="off" wide />
        <Button>{t.correctButton}</Button>
      </PostForm>
    </>
  );
}

import { Button, ButtonLink, ErrorSummary, Field, Outcome, Pager, PostForm, SummaryList, Table } from '../common/components.js';
import type { Lang } from '../common/i18n.js';
import { formatDateTime, formatNumber, formatShortDateTime } from '../common/i18n.js';
import { sharedStrings } from '../common/strings.js';
import { counterStrings } from './strings.js';

export interface RedeemedLine {
  id: string;
  packTitle: string;
  volunteerName: string;
  points: number;
  redeemedAt: string;
}

export type CounterAnswer = { ok: true; line: RedeemedLine } | { ok: false; reason: string };

/**
 * The answer to the last code, in one glance: green with the pack, the points and the volunteer's
 * masked name, or red with the reason in words (the title says which, never the colour alone).
 */
function Answer(props: { lang: Lang; timeZone: string; answer: CounterAnswer }) {
  const t = counterStrings[props.lang];
  const { answer } = props;
  if (answer.ok) {
    return (
      <Outcome tone="ok" title={`${t.okTitle}：${answer.line.packTitle}`} id="answer">
        <SummaryList
          rows={[
            [t.pack, answer.line.packTitle],
            [t.points, t.okPoints(formatNumber(props.lang, answer.line.points))],
            [t.volunteer, answer.line.volunteerName],
            [t.when, formatDateTime(props.lang, answer.line.redeemedAt, props.timeZone)],
          ]}
        />
      </Outcome>
    );
  }
  return (
    <Outcome tone="bad" title={t.refusedTitle} id="answer">
      <p id="answer-reason">{t.refused[answer.reason] ?? t.refused.token_invalid}</p>
    </Outcome>
  );
}

/**
 * The counter: the last answer, the scanner (camera when a script can open it; a barcode scanner
 * or typing into the field always), and today's redemptions.
 */
export function CounterHome(props: { lang: Lang; timeZone: string; answer?: CounterAnswer | undefined; today: RedeemedLine[]; workerUrl: string; readerUrl: string; wasmUrl: string }) {
  const t = counterStrings[props.lang];
  const total = props.today.reduce((sum, line) => sum + line.points, 0);
  return (
    <>
      <h1>{t.title}</h1>
      {props.answer && <Answer lang={props.lang} timeZone={props.timeZone} answer={props.answer} />}
      <section class="scanner" aria-labelledby="scan-title" id="scanner" data-worker={props.workerUrl} data-reader={props.readerUrl} data-wasm={props.wasmUrl}>
        <h2 id="scan-title">{t.scanTitle}</h2>
        <div id="camera-controls" hidden>
          <button type="button" class="button button-primary" id="camera-open" data-next={t.scanNext} data-open={t.openCamera}>
            {props.answer ? t.scanNext : t.openCamera}
          </button>
          <button type="button" class="button button-secondary" id="camera-close" hidden>
            {t.closeCamera}
          </button>
          <p class="scanner-status" id="camera-status" role="status" data-starting={t.cameraStarting} data-ready={t.cameraReady} data-failed={t.cameraFailed}></p>
          <video id="camera-video" muted playsinline hidden aria-label={t.videoLabel}></video>
        </div>
        <PostForm action="/app/counter/redeem" id="redeem-form">
          <Field id="code" label={t.codeLabel} hint={t.codeHint} errorPrefix={sharedStrings[props.lang].errorPrefix} autocomplete="off" autocapitalize="characters" spellcheck={false} maxlength={4096} autofocus wide />
          <Button>{t.redeem}</Button>
        </PostForm>
      </section>
      <h2>{t.todayTitle}</h2>
      {props.today.length > 0 && <p id="today-total">{t.todayTotal(props.today.length, formatNumber(props.lang, total))}</p>}
      <Table
        id="today"
        caption={t.todayTitle}
        head={[t.when, t.pack, t.volunteer, t.points]}
        numeric={[3]}
        empty={t.todayEmpty}
        rows={props.today.map((line) => [formatDateTime(props.lang, line.redeemedAt, props.timeZone).replace(/^.* /, ''), line.packTitle, line.volunteerName, formatNumber(props.lang, line.points)])}
      />
      <ButtonLink href="/app/counter/settlement" variant="secondary">
        {t.settlementLink}
      </ButtonLink>
    </>
  );
}

export interface SettlementView {
  redeemed: { count: number; points: number };
  settlements: { count: number; points: number; items: { reference: string; points: number; createdAt: string }[] };
  owed: number;
  settledTotal: number;
}

/** The statement for a period: what was redeemed, what was settled, what is owed now. */
export function Settlement(props: {
  lang: Lang;
  timeZone: string;
  from: string;
  to: string;
  errors: { field: 'from' | 'to'; message: string }[];
  summary?: SettlementView | undefined;
  redemptions: RedeemedLine[];
  moreHref?: string | undefined;
}) {
  const t = counterStrings[props.lang];
  const s = sharedStrings[props.lang];
  const errorOf = (field: 'from' | 'to') => props.errors.find((e) => e.field === field)?.message;
  const n = (v: number) => formatNumber(props.lang, v);
  return (
    <>
      <a class="back-link" href="/app/counter">
        {t.backToCounter}
      </a>
      <h1>{t.settlementTitle}</h1>
      <ErrorSummary title={s.errorSummaryTitle} errors={props.errors} />
      <form method="get" action="/app/counter/settlement" class="period" novalidate>
        <Field id="from" label={t.from} hint={t.dateHint} error={errorOf('from')} errorPrefix={s.errorPrefix} type="date" value={props.from} />
        <Field id="to" label={t.to} hint={t.dateHint} error={errorOf('to')} errorPrefix={s.errorPrefix} type="date" value={props.to} />
        <Button variant="secondary">{t.show}</Button>
      </form>
      {props.summary && (
        <>
          <SummaryList
            class="settlement-figures"
            rows={[
              [t.redeemedInPeriod, <span id="redeemed-in-period">{t.countPoints(props.summary.redeemed.count, n(props.summary.redeemed.points))}</span>],
              [t.settledInPeriod, t.countPoints(props.summary.settlements.count, n(props.summary.settlements.points))],
              [t.owedNow, <span id="owed-now">{t.pointsValue(n(props.summary.owed))}</span>],
              [t.settledTotal, t.pointsValue(n(props.summary.settledTotal))],
            ]}
          />
          <Table
            caption={t.settlementsCaption}
            head={[t.when, t.reference, t.points]}
            numeric={[2]}
            empty={t.settlementsEmpty}
            rows={props.summary.settlements.items.map((i) => [formatDateTime(props.lang, i.createdAt, props.timeZone), i.reference, n(i.points)])}
          />
          <Table
            id="period-redemptions"
            caption={t.redemptionsCaption}
            head={[t.when, t.pack, t.volunteer, t.points]}
            numeric={[3]}
            empty={t.redemptionsEmpty}
            rows={props.redemptions.map((line) => [formatShortDateTime(props.lang, line.redeemedAt, props.timeZone), line.packTitle, line.volunteerName, n(line.points)])}
          />
          <Pager olderHref={props.moreHref} olderLabel={t.more} newerLabel="" />
        </>
      )}
    </>
  );
}

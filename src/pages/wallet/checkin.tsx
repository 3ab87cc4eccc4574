import type { Activity } from '../../activities/schemas.js';
import { Button, ErrorSummary, Field, Outcome, PostForm, SummaryList } from '../common/components.js';
import type { Lang } from '../common/i18n.js';
import { formatDateTime } from '../common/i18n.js';
import { sharedStrings } from '../common/strings.js';
import { hoursText } from './home.js';
import { walletStrings } from './strings.js';

export type CheckInState = 'none' | 'checked_in' | 'done';

export interface CheckInProps {
  lang: Lang;
  timeZone: string;
  activity: Activity;
  code: string;
  state: CheckInState;
  /** What was just done (after the redirect), with the minutes for a check-out. */
  done?: { action: 'in' } | { action: 'out'; minutes: number } | undefined;
  error?: string | undefined;
  unitsError?: string | undefined;
  units?: string | undefined;
}

/**
 * The page a check-in QR code opens. Checking in needs no further choice, so a small script submits
 * it at once (the button is there for a phone without scripts); checking out is a button, with the
 * number of pieces done for an activity counted by the piece.
 */
export function CheckIn(props: CheckInProps) {
  const t = walletStrings[props.lang];
  const { activity } = props;
  const hidden = (
    <>
      <input type="hidden" name="activity" value={activity.id} />
      <input type="hidden" name="code" value={props.code} />
    </>
  );
  return (
    <>
      <h1>{t.checkInTitle}</h1>
      {props.unitsError && <ErrorSummary title={sharedStrings[props.lang].errorSummaryTitle} errors={[{ field: 'units', message: props.unitsError }]} />}
      {props.error && <Outcome tone="bad" title={props.error} id="check-in-outcome" />}
      {props.done?.action === 'in' && (
        <Outcome tone="ok" title={t.checkedIn} id="check-in-outcome">
          <p>{t.checkedInBody}</p>
        </Outcome>
      )}
      {props.done?.action === 'out' && (
        <Outcome tone="ok" title={t.checkedOut} id="check-in-outcome">
          <p>{t.checkedOutBody(hoursText(props.lang, props.done.minutes))}</p>
        </Outcome>
      )}
      <SummaryList
        rows={[
          [t.activity, activity.title],
          ...(activity.place ? [[t.place, activity.place] as [string, string]] : []),
          [t.time, `${formatDateTime(props.lang, activity.startsAt, props.timeZone)} – ${formatDateTime(props.lang, activity.endsAt, props.timeZone)}`],
        ]}
      />
      {props.state === 'none' && (
        <PostForm action="/app/wallet/check-in" id="check-in-form" class={props.error || props.done ? undefined : 'auto-submit'}>
          {hidden}
          <input type="hidden" name="action" value="in" />
          <Button>{t.checkInButton}</Button>
        </PostForm>
      )}
      {props.state === 'checked_in' && (
        <PostForm action="/app/wallet/check-in" id="check-out-form">
          {hidden}
          <input type="hidden" name="action" value="out" />
          {activity.rule.kind === 'per_unit' && (
            <Field id="units" label={t.units} hint={t.unitsHint} error={props.unitsError} errorPrefix={sharedStrings[props.lang].errorPrefix} inputmode="numeric" value={props.units ?? ''} maxlength={4} />
          )}
          {/* Just checked in: checking out is not the next thing to do, so it does not look like it. */}
          <Button variant={props.done?.action === 'in' ? 'secondary' : 'primary'}>{t.checkOutButton}</Button>
        </PostForm>
      )}
      {props.state === 'done' && !props.done && <p id="check-in-done">{t.alreadyDone}</p>}
      <p>
        <a href="/app/wallet">{t.backHome}</a>
      </p>
    </>
  );
}

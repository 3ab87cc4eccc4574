import type { Activity } from '../../activities/schemas.js';
import { ButtonLink, Outcome } from '../common/components.js';
import { formatDateTime, type Lang } from '../common/i18n.js';
import { deskStrings } from './strings.js';

/** The desk's home: what needs doing now (check-ins to approve, today's activities) and the menu. */
export function DeskHome(props: { lang: Lang; timeZone: string; unitName: string; pending: number; pendingMore: boolean; today: Activity[] }) {
  const t = deskStrings[props.lang];
  return (
    <>
      <h1>{t.homeTitle}</h1>
      <p class="lead">{t.greeting(props.unitName)}</p>
      {props.pending > 0 ? (
        <Outcome tone="info" title={t.pendingCount(props.pending) + (props.pendingMore ? '+' : '')} id="pending">
          <p>
            <a href="/app/desk/hours">{t.menuHours}</a>
          </p>
        </Outcome>
      ) : (
        <p id="pending">{t.noPending}</p>
      )}
      <h2>{t.todayTitle}</h2>
      {props.today.length === 0 ? (
        <p class="empty">{t.noActivitiesToday}</p>
      ) : (
        <ul class="lines" id="today">
          {props.today.map((a) => (
            <li class="line">
              <span>
                <a class="line-what" href={`/app/desk/activities/${a.id}`}>
                  {a.title}
                </a>
                <span class="line-when">{formatDateTime(props.lang, a.startsAt, props.timeZone)}</span>
              </span>
              <a href={`/app/desk/activities/${a.id}/check-in`}>{t.projectorLink}</a>
            </li>
          ))}
        </ul>
      )}
      <h2>{t.menuTitle}</h2>
      <div class="button-row">
        <ButtonLink href="/app/desk/volunteers">{t.menuVolunteers}</ButtonLink>
        <ButtonLink href="/app/desk/activities">{t.menuActivities}</ButtonLink>
        <ButtonLink href="/app/desk/hours" variant="secondary">
          {t.menuHours}
        </ButtonLink>
        <ButtonLink href="/app/desk/hours/bulk" variant="secondary">
          {t.menuBulk}
        </ButtonLink>
        <ButtonLink href="/app/desk/reports" variant="secondary">
          {t.menuReports}
        </ButtonLink>
        <ButtonLink href="/app/desk/wishes" variant="secondary">
          {t.menuWishes}
        </ButtonLink>
      </div>
    </>
  );
}

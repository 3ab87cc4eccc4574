import type { Actor } from '../auth/actor.js';
import { subtreeFilter } from '../orgunits/scope.js';
import { loadManagedActivity } from '../activities/service.js';
import type { ServiceDeps } from '../deps.js';
import { forbidden, notFound, validationFailed } from '../errors.js';
import { heldAccountId, merchantAccountId, volunteerAccountId } from '../ledger/accounts.js';
import { findMerchant } from '../merchants/repository.js';
import { findOrgUnit } from '../orgunits/repository.js';
import { loadVisibleVolunteer } from '../volunteers/service.js';
import { hoursOf } from '../volunteers/hours.js';
import { starLevel } from '../volunteers/stars.js';
import { keysetBatches, type ReportDocument } from './csv.js';
import { activityParticipants, activityTotals } from './repository/activity.js';
import { exportLines, type ExportCursor } from './repository/export.js';
import { leaderboard } from './repository/leaderboard.js';
import { merchantLines, merchantPeriod } from './repository/merchant-statement.js';
import { periodBounds, rangeBounds, type Bounds } from './repository/periods.js';
import { claimsExpired, hoursByType, pointFlows, redemptionsByPack, summaryCounts } from './repository/summary.js';
import { accountBalanceBefore, accountPeriod, statementLines, volunteerHours } from './repository/volunteer-statement.js';
import {
  exportBatchRows,
  rangeDaysMax,
  type ActivityReport,
  type ExportLine,
  type Leaderboard,
  type MerchantLine,
  type MerchantStatement,
  type Participant,
  type Period,
  type PeriodKind,
  type StatementLine,
  type Summary,
  type VolunteerStatement,
} from './schemas.js';


function toPeriod(kind: Period['kind'], bounds: Bounds, timeZone: string): Period {
  const [year, month] = bounds.first_day.split('-');
  const label =
    kind === 'month' ? `${year}-${month}` : kind === 'quarter' ? `${year}-Q${Math.floor((Number(month) - 1) / 3) + 1}` : kind === 'year' ? `${year}` : `${bounds.first_day}..${bounds.last_day}`;
  return { kind, label, firstDay: bounds.first_day, lastDay: bounds.last_day, timeZone, from: bounds.from.toISOString(), to: bounds.to.toISOString() };
}

/** The calendar period holding `at` in the programme time zone. */
async function calendarPeriod(deps: ServiceDeps, kind: PeriodKind, at: string | undefined) {
  const bounds = await periodBounds(deps.db, deps.config.PROGRAMME_TIME_ZONE, kind, at);
  return { bounds, period: toPeriod(kind, bounds, deps.config.PROGRAMME_TIME_ZONE) };
}

/** Whole days in the programme time zone; `from` after `to` or a span beyond rangeDaysMax is refused. */
async function dayRange(deps: ServiceDeps, input: { from?: string | undefined; to?: string | undefined }) {
  const bounds = await rangeBounds(deps.db, deps.config.PROGRAMME_TIME_ZONE, input.from, input.to);
  if (bounds.first_day > bounds.last_day) throw validationFailed([{ path: 'query.from', message: 'must not be after `to`' }]);
  if (bounds.to.getTime() - bounds.from.getTime() > rangeDaysMax * 86_400_000) throw validationFailed([{ path: 'query.to', message: `the range may span at most ${rangeDaysMax} days` }]);
  return { bounds, period: toPeriod('range', bounds, deps.config.PROGRAMME_TIME_ZONE) };
}

/**
 * The org-unit path a subtree report covers, by role: admins any unit or the whole programme
 * (undefined); organisers their own subtree or a unit inside it (anything else is 404, as if it did
 * not exist); merchants and volunteers are refused (volunteers get their own rank instead).
 */
async function reportScope(deps: ServiceDeps, actor: Actor, orgUnitId: string | undefined): Promise<string | undefined> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers read programme reports');
  return subtreeFilter(deps.db, actor, orgUnitId);
}

/**
 * Top volunteers of a subtree for a calendar period, by approved hours (activities that started in
 * the period; pending, checked-in and rejected records count for nothing) or by points earned in
 * the period. Admins and organisers (own subtree only) see the top `limit`. A volunteer sees only
 * its own standing, within its own unit or an ancestor of it: never other volunteers' names.
 */
export async function leaderboardReport(
  deps: ServiceDeps,
  actor: Actor,
  input: { orgUnitId?: string | undefined; period: PeriodKind; at?: string | undefined; by: 'hours' | 'points'; limit: number },
): Promise<Leaderboard> {
  let withinPath: string | undefined;
  let orgUnitId = input.orgUnitId ?? null;
  if (actor.role === 'volunteer') {
    const own = await findOrgUnit(deps.db, actor.orgUnitId);
    const unit = input.orgUnitId ? await findOrgUnit(deps.db, input.orgUnitId) : own;
    // A volunteer ranks among the volunteers of a unit it belongs to, directly or by ancestry.
    if (!own || !unit || !own.path.startsWith(unit.path)) throw notFound('org unit');
    withinPath = unit.path;
    orgUnitId = unit.id;
  } else {
    withinPath = await reportScope(deps, actor, input.orgUnitId);
    if (actor.role === 'organiser' && !input.orgUnitId) orgUnitId = actor.orgUnitId;
  }
  const { bounds, period } = await calendarPeriod(deps, input.period, input.at);
  const me = actor.role === 'volunteer' ? actor.id : undefined;
  const rows = await leaderboard(deps.db, { withinPath, from: bounds.from, to: bounds.to, by: input.by, limit: me ? 0 : input.limit, me });
  const entry = (r: (typeof rows)[number]) => ({ rank: r.rank, volunteerId: r.id, name: r.name, orgUnitId: r.org_unit_id, minutes: r.minutes, hours: hoursOf(r.minutes), points: r.points });
  const mine = me ? rows.find((r) => r.id === me) : undefined;
  return {
    orgUnitId,
    by: input.by,
    period,
    // Every row carries the count; with no rows there is nobody ranked.
    ranked: rows[0]?.ranked ?? 0,
    items: me ? [] : rows.filter((r) => r.rank !== null).map((r) => ({ ...entry(r), rank: r.rank as number })),
    me: me ? { rank: mine?.rank ?? null, minutes: mine?.minutes ?? 0, hours: hoursOf(mine?.minutes ?? 0), points: mine?.points ?? 0 } : null,
  };
}

/**
 * The programme summary of a subtree for a calendar period (admins; organisers their subtree).
 * Points come from the ledger postings of the subtree's volunteers, classified so that
 * opening + issued - redeemed - expired = outstanding holds exactly, and the to-date figures give
 * issued - redeemed - expired = outstanding (the programme's liability to those volunteers).
 */
export async function programmeSummary(deps: ServiceDeps, actor: Actor, input: { orgUnitId?: string | undefined; period: PeriodKind; at?: string | undefined }): Promise<Summary> {
  const withinPath = await reportScope(deps, actor, input.orgUnitId);
  const { bounds, period } = await calendarPeriod(deps, input.period, input.at);
  const range = { withinPath, from: bounds.from, to: bounds.to };
  const [counts, types, flows, expiredClaims, redemptions] = await Promise.all([
    summaryCounts(deps.db, range),
    hoursByType(deps.db, range),
    pointFlows(deps.db, range),
    claimsExpired(deps.db, range),
    redemptionsByPack(deps.db, range),
  ]);
  return {
    orgUnitId: input.orgUnitId ?? (actor.role === 'organiser' ? actor.orgUnitId : null),
    period,
    volunteers: { registered: counts.registered, active: counts.active, new: counts.new_volunteers },
    activitiesHeld: counts.activities_held,
    hoursByType: types.map((t) => ({ typeCode: t.code, typeName: t.name, minutes: t.minutes, hours: hoursOf(t.minutes), records: t.records, volunteers: t.volunteers })),
    points: {
      issued: flows.issued,
      redeemed: flows.redeemed,
      expired: flows.other,
      opening: flows.opening,
      outstanding: flows.outstanding,
      held: flows.held,
      toDate: { issued: flows.issued_to_date, redeemed: flows.redeemed_to_date, expired: flows.other_to_date },
    },
    claimsExpired: expiredClaims,
    redemptions: redemptions.map((r) => ({ merchantId: r.merchant_id, merchantName: r.merchant_name, packId: r.pack_id, packTitle: r.pack_title, count: r.count, points: r.points })),
  };
}

/**
 * An organiser's view of one activity: every participant (signed up or recorded) with minutes,
 * points and record status, and totals including pending approvals. Admins and organisers whose
 * subtree holds the activity (others 403, as for managing it). An organiser's list never names a
 * volunteer from outside its subtree: such participants count in the totals and in
 * participantsOutsideScope only.
 */
export async function activityReport(deps: ServiceDeps, actor: Actor, activityId: string): Promise<ReportDocument<Omit<ActivityReport, 'items'>, Participant>> {
  const activity = await loadManagedActivity(deps.db, actor, activityId);
  const scopePath = actor.role === 'organiser' ? actor.orgPath : undefined;
  const totals = await activityTotals(deps.db, activityId, scopePath);
  return {
    head: {
      activity: {
        id: activity.id,
        title: activity.title,
        typeCode: activity.type_code,
        orgUnitId: activity.org_unit_id,
        startsAt: activity.starts_at.toISOString(),
        endsAt: activity.ends_at.toISOString(),
        status: activity.status,
      },
      totals: {
        signedUp: totals.signed_up,
        records: totals.records,
        approved: totals.approved,
        pendingApprovals: totals.pending,
        rejected: totals.rejected,
        approvedMinutes: totals.approved_minutes,
        pointsCredited: totals.points_credited,
      },
      participantsOutsideScope: totals.outside,
    },
    batches: keysetBatches((after: string | undefined, limit) => activityParticipants(deps.db, { activityId, scopePath, after, limit }), (r) => r.volunteerId, exportBatchRows),
  };
}

/**
 * A volunteer's statement for a range of days, for print: opening balance, every transaction on the
 * spendable account in the period, closing balance, held points, hours and star level as of the end
 * of the period. Visible to the volunteer, organisers in scope and admins (404 to others; merchants
 * 403). The figures and the streamed lines cover the same postings (those that existed when the
 * statement began), so closing = opening + credits + debits always matches the lines.
 */
export async function volunteerStatement(
  deps: ServiceDeps,
  actor: Actor,
  volunteerId: string,
  input: { from?: string | undefined; to?: string | undefined },
): Promise<ReportDocument<Omit<VolunteerStatement, 'items'>, StatementLine>> {
  const volunteer = await loadVisibleVolunteer(deps, actor, volunteerId);
  const { bounds, period } = await dayRange(deps, input);
  const accountId = volunteerAccountId(volunteerId);
  const [position, held, hours, unit] = await Promise.all([
    accountPeriod(deps.db, accountId, bounds.from, bounds.to),
    accountBalanceBefore(deps.db, heldAccountId(volunteerId), bounds.to),
    volunteerHours(deps.db, volunteerId, bounds.from, bounds.to),
    findOrgUnit(deps.db, volunteer.org_unit_id),
  ]);
  return {
    head: {
      programme: deps.config.PROGRAMME_NAME,
      volunteer: { id: volunteer.id, name: volunteer.name, orgUnitId: volunteer.org_unit_id, orgUnitName: unit?.name ?? '' },
      period,
      openingBalance: position.opening,
      credits: position.credits,
      debits: position.debits,
      closingBalance: position.opening + position.credits + position.debits,
      heldAtClose: held,
      entries: position.entries,
      serviceMinutesInPeriod: hours.in_period,
      serviceMinutesToDate: hours.to_date,
      starLevel: starLevel(hours.to_date, deps.config.STAR_THRESHOLDS_HOURS),
    },
    batches: keysetBatches(
      (after: number | undefined, limit) => statementLines(deps.db, { accountId, tz: deps.config.PROGRAMME_TIME_ZONE, from: bounds.from, to: bounds.to, upto: position.upto, after, limit }),
      (r) => r.seq,
      exportBatchRows,
    ),
  };
}

/**
 * A merchant's settlement statement for a range of days: every redemption (time, pack, points) and
 * every settlement recorded, in the order the ledger posted them, with the amount owed before, after
 * each line and at the end. Read from the merchant's ledger account, so owed = redemptions -
 * settlements holds by construction and always equals the account's balance. The merchant itself
 * and admins only (another merchant gets 404, other roles 403).
 */
export async function merchantStatement(
  deps: ServiceDeps,
  actor: Actor,
  merchantId: string,
  input: { from?: string | undefined; to?: string | undefined },
): Promise<ReportDocument<Omit<MerchantStatement, 'items'>, MerchantLine>> {
  if (actor.role === 'merchant' && actor.id !== merchantId) throw notFound('merchant');
  if (actor.role !== 'merchant' && actor.role !== 'admin') throw forbidden('only the merchant itself and admins read its statement');
  const merchant = await findMerchant(deps.db, merchantId);
  if (!merchant) throw notFound('merchant');
  const { bounds, period } = await dayRange(deps, input);
  const accountId = merchantAccountId(merchantId);
  const position = await merchantPeriod(deps.db, accountId, bounds.from, bounds.to);
  return {
    head: {
      programme: deps.config.PROGRAMME_NAME,
      merchant: { id: merchant.id, name: merchant.name },
      period,
      openingOwed: position.opening,
      redemptions: { count: position.redeemed_count, points: position.redeemed_points },
      settlements: { count: position.settled_count, points: position.settled_points },
      closingOwed: position.opening + position.redeemed_points - position.settled_points + position.other_points,
    },
    batches: keysetBatches(
      (after: number | undefined, limit) => merchantLines(deps.db, { accountId, from: bounds.from, to: bounds.to, upto: position.upto, after, limit }),
      (r) => r.seq,
      exportBatchRows,
    ),
  };
}

/**
 * Every ledger posting of transactions made in a range of days (admin): the auditor's export.
 * Rows are read in (transaction time, transaction id) order, a few thousand transactions per query,
 * so memory stays flat however long the range.
 */
export async function ledgerExport(deps: ServiceDeps, actor: Actor, input: { from?: string | undefined; to?: string | undefined }): Promise<ReportDocument<{ period: Period }, ExportLine>> {
  if (actor.role !== 'admin') throw forbidden('only admins export the ledger');
  const { bounds, period } = await dayRange(deps, input);
  // Transactions have two postings as a rule, so this many transactions make about one batch of rows.
  const transactionsPerBatch = Math.ceil(exportBatchRows / 2);
  return {
    head: { period },
    batches: async function* () {
      let after: ExportCursor | undefined;
      for (;;) {
        const rows = await exportLines(deps.db, { from: bounds.from, to: bounds.to, after, transactions: transactionsPerBatch });
        const last = rows[rows.length - 1];
        if (!last) return;
        // Everything needed from the batch is read before it is yielded: the consumer empties it.
        let transactions = 0;
        let previous = '';
        for (const row of rows) {
          if (row.transactionId !== previous) transactions += 1;
          previous = row.transactionId;
        }
        after = { createdAt: last.createdAt, transactionId: last.transactionId };
        yield rows;
        if (transactions < transactionsPerBatch) return;
      }
    },
  };
}

import type { CsvLayout } from './csv.js';
import { hoursOf } from '../volunteers/hours.js';
import type { ActivityReport, ExportLine, Leaderboard, LeaderboardEntry, MerchantLine, MerchantStatement, Participant, Period, StatementLine, Summary, VolunteerStatement } from './schemas.js';

/**
 * What each report looks like as CSV. Statements open with a block of label/value lines (who, which
 * period, opening and closing balances) so a printed sheet stands on its own; tables that feed other
 * programs (the ledger export, leaderboards) are a bare header and rows. Column headers are
 * bilingual, for the programme office and for tools.
 */

const periodLines = (p: Period): [string, unknown][] => [
  ['期间 Period', `${p.firstDay} – ${p.lastDay} (${p.timeZone})`],
];

/** A leaderboard line; a volunteer's own line may have no rank yet. */
export type LeaderboardLine = Omit<LeaderboardEntry, 'rank'> & { rank: number | null };

export const leaderboardCsv: CsvLayout<Leaderboard, LeaderboardLine> = {
  filename: (h) => `leaderboard-${h.by}-${h.period.label}.csv`,
  columns: [
    { header: '名次 rank', value: (r) => r.rank },
    { header: '志愿者 volunteer', value: (r) => r.name },
    { header: 'volunteerId', value: (r) => r.volunteerId },
    { header: 'orgUnitId', value: (r) => r.orgUnitId },
    { header: '服务分钟 minutes', value: (r) => r.minutes },
    { header: '服务小时 hours', value: (r) => r.hours },
    { header: '积分 points', value: (r) => r.points },
  ],
};

/** A summary as one long table: section, key, name, value; each figure is a row a pivot table can use. */
export interface SummaryRow {
  section: string;
  key: string;
  name: string;
  value: number;
}

export function summaryRows(s: Summary): SummaryRow[] {
  const rows: SummaryRow[] = [
    { section: 'volunteers', key: 'registered', name: '登记志愿者', value: s.volunteers.registered },
    { section: 'volunteers', key: 'active', name: '活跃志愿者', value: s.volunteers.active },
    { section: 'volunteers', key: 'new', name: '新增志愿者', value: s.volunteers.new },
    { section: 'activities', key: 'held', name: '开展活动', value: s.activitiesHeld },
  ];
  for (const t of s.hoursByType) rows.push({ section: 'hoursByType', key: t.typeCode, name: t.typeName, value: hoursOf(t.minutes) });
  const p = s.points;
  rows.push(
    { section: 'points', key: 'opening', name: '期初未兑付积分', value: p.opening },
    { section: 'points', key: 'issued', name: '发放积分', value: p.issued },
    { section: 'points', key: 'redeemed', name: '兑换积分', value: p.redeemed },
    { section: 'points', key: 'expired', name: '过期积分', value: p.expired },
    { section: 'points', key: 'outstanding', name: '期末未兑付积分', value: p.outstanding },
    { section: 'points', key: 'held', name: '冻结积分', value: p.held },
    { section: 'claimsExpired', key: 'count', name: '过期未核销领取', value: s.claimsExpired.count },
    { section: 'claimsExpired', key: 'points', name: '过期释放积分', value: s.claimsExpired.points },
  );
  for (const r of s.redemptions) rows.push({ section: 'redemptions', key: `${r.merchantId}/${r.packId}`, name: `${r.merchantName} · ${r.packTitle}`, value: r.count });
  return rows;
}

export const summaryCsv: CsvLayout<Summary, SummaryRow> = {
  filename: (h) => `summary-${h.period.label}.csv`,
  preamble: (h) => periodLines(h.period),
  columns: [
    { header: 'section', value: (r) => r.section },
    { header: 'key', value: (r) => r.key },
    { header: '项目 name', value: (r) => r.name },
    { header: '数值 value', value: (r) => r.value },
  ],
};

export const activityCsv: CsvLayout<Omit<ActivityReport, 'items'>, Participant> = {
  filename: (h) => `activity-${h.activity.id}.csv`,
  preamble: (h) => [
    ['活动 Activity', h.activity.title],
    ['时间 Time', `${h.activity.startsAt} – ${h.activity.endsAt}`],
    ['报名 Signed up', h.totals.signedUp],
    ['已批准 Approved', h.totals.approved],
    ['待审批 Pending approvals', h.totals.pendingApprovals],
    ['批准分钟 Approved minutes', h.totals.approvedMinutes],
    ['发放积分 Points credited', h.totals.pointsCredited],
  ],
  columns: [
    { header: '志愿者 volunteer', value: (r) => r.name },
    { header: 'volunteerId', value: (r) => r.volunteerId },
    { header: '报名 signup', value: (r) => r.signup },
    { header: '记录状态 record status', value: (r) => r.recordStatus },
    { header: '分钟 minutes', value: (r) => r.minutes },
    { header: '数量 units', value: (r) => r.units },
    { header: '积分 points', value: (r) => r.points },
    { header: '已发放 credited', value: (r) => r.pointsCredited },
  ],
};

export const volunteerStatementCsv: CsvLayout<Omit<VolunteerStatement, 'items'>, StatementLine> = {
  filename: (h) => `statement-${h.volunteer.id}-${h.period.firstDay}-${h.period.lastDay}.csv`,
  preamble: (h) => [
    ['项目 Programme', h.programme],
    ['志愿者 Volunteer', h.volunteer.name],
    ['所属 Unit', h.volunteer.orgUnitName],
    ...periodLines(h.period),
    ['期初余额 Opening balance', h.openingBalance],
    ['收入 Credits', h.credits],
    ['支出 Debits', h.debits],
    ['期末余额 Closing balance', h.closingBalance],
    ['冻结 Held for claims', h.heldAtClose],
    ['本期服务小时 Hours in period', hoursOf(h.serviceMinutesInPeriod)],
    ['累计服务小时 Hours to date', hoursOf(h.serviceMinutesToDate)],
    ['星级 Star level', h.starLevel],
  ],
  columns: [
    { header: '时间 local time', value: (r) => r.localTime },
    { header: '类型 kind', value: (r) => r.kind },
    { header: '说明 memo', value: (r) => r.memo },
    { header: '金额 amount', value: (r) => r.amount },
    { header: '余额 balance', value: (r) => r.balanceAfter },
    { header: 'transactionId', value: (r) => r.transactionId },
  ],
};

export const merchantStatementCsv: CsvLayout<Omit<MerchantStatement, 'items'>, MerchantLine> = {
  filename: (h) => `merchant-statement-${h.merchant.id}-${h.period.firstDay}-${h.period.lastDay}.csv`,
  preamble: (h) => [
    ['项目 Programme', h.programme],
    ['商户 Merchant', h.merchant.name],
    ...periodLines(h.period),
    ['期初应付 Owed at start', h.openingOwed],
    ['兑换笔数 Redemptions', h.redemptions.count],
    ['兑换积分 Points redeemed', h.redemptions.points],
    ['结算笔数 Settlements', h.settlements.count],
    ['结算积分 Points settled', h.settlements.points],
    ['期末应付 Still owed', h.closingOwed],
  ],
  columns: [
    { header: '时间 time (UTC)', value: (r) => r.createdAt },
    { header: '类型 kind', value: (r) => r.kind },
    { header: '优惠包 pack', value: (r) => r.packTitle },
    { header: '积分 points', value: (r) => r.points },
    { header: '应付余额 owed after', value: (r) => r.owedAfter },
    { header: 'redemptionId', value: (r) => r.redemptionId },
    { header: 'packId', value: (r) => r.packId },
    { header: '参考 reference', value: (r) => r.reference },
    { header: 'transactionId', value: (r) => r.transactionId },
  ],
};

export const ledgerExportCsv: CsvLayout<{ period: Period }, ExportLine> = {
  filename: (h) => `ledger-${h.period.firstDay}-${h.period.lastDay}.csv`,
  columns: [
    { header: 'postingId', value: (r) => r.postingId },
    { header: 'transactionId', value: (r) => r.transactionId },
    { header: 'createdAt', value: (r) => r.createdAt },
    { header: 'kind', value: (r) => r.kind },
    { header: 'accountId', value: (r) => r.accountId },
    { header: 'accountKind', value: (r) => r.accountKind },
    { header: 'ownerId', value: (r) => r.ownerId },
    { header: 'seq', value: (r) => r.seq },
    { header: 'amount', value: (r) => r.amount },
    { header: 'balanceAfter', value: (r) => r.balanceAfter },
    { header: 'reversesTransactionId', value: (r) => r.reversesTransactionId },
    { header: 'reference', value: (r) => r.reference },
    { header: 'memo', value: (r) => r.memo },
  ],
};

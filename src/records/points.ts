import type { PointRuleKind } from '../db/types.js';

/**
 * Points a record is worth under a rule version. Pure and integer-only, so a record's points are
 * the same wherever they are computed:
 *   per_hour: floor(minutes * points / 60), pro-rated by the minute and rounded down;
 *   per_unit: units * points;
 *   fixed:    points, per participation.
 */
export function pointsFor(rule: { kind: PointRuleKind; points: number }, minutes: number, units: number): number {
  switch (rule.kind) {
    case 'per_hour':
      return Math.floor((minutes * rule.points) / 60);
    case 'per_unit':
      return units * rule.points;
    case 'fixed':
      return rule.points;
  }
}

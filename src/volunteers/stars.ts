/**
 * Star level from approved service minutes: the number of thresholds (in hours) reached.
 * Pure, so reports, balances and certificates all agree.
 */
export function starLevel(serviceMinutes: number, thresholdsHours: readonly number[]): number {
  let level = 0;
  for (const hours of thresholdsHours) if (serviceMinutes >= hours * 60) level += 1;
  return level;
}

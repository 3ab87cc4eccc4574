/**
 * Hours for people to read, from minutes: rounded down to the hundredth, so no document ever
 * overstates anyone's service. The one rule for every figure in hours the service hands out
 * (certificates, reports, CSV exports), so they always agree: 1,090 minutes are 18.16 hours everywhere.
 */
export const hoursOf = (minutes: number): number => Math.floor((minutes * 100) / 60) / 100;

import type { Lang } from '../common/i18n.js';
import type { DeskStrings } from './strings.js';

/** Small helpers the desk's pages share. */

/** A refused form's errors: field id → what is wrong, in words. */
export type FormErrors = Record<string, string>;

/** Hours to at most two decimals, as an organiser reads them ("1.5"). */
export function hoursText(lang: Lang, minutes: number): string {
  return new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }).format(minutes / 60);
}

export function recordStatusText(t: DeskStrings, status: string | null): string {
  switch (status) {
    case 'checked_in':
      return t.recordCheckedIn;
    case 'pending':
      return t.recordPending;
    case 'approved':
      return t.recordApproved;
    case 'rejected':
      return t.recordRejected;
    default:
      return t.recordNone;
  }
}

export function activityStatusText(t: DeskStrings, status: string): string {
  return status === 'open' ? t.activityOpen : status === 'closed' ? t.activityClosed : t.activityCancelled;
}

/** The first error for each field of a zod-style list of issues, in the page's words. */
export function errorsByField(issues: { path: string; message: string }[], words: (field: string) => string | undefined): FormErrors {
  const errors: FormErrors = {};
  for (const issue of issues) {
    const field = issue.path.split('.')[0] ?? '';
    if (!(field in errors)) errors[field] = words(field) ?? issue.message;
  }
  return errors;
}

import { DomainError } from '../../errors.js';
import { CreateWishBody, type CreateWishInput } from '../../wishes/schemas.js';
import type { Lang } from '../common/i18n.js';
import { wishStrings } from './strings.js';

/**
 * The post-a-wish form, read and checked for what a person can fix (a missing title, a date
 * written wrongly) so the page can say it next to the field. The service still decides everything
 * else (categories, units, dates in the future): its refusals come back through `fieldErrorsOf`.
 */

export interface WishFormValues {
  category: string;
  title: string;
  details: string;
  neededBy: string;
  orgUnitId: string;
  residentName: string;
  residentContact: string;
}

export type FieldErrors = Partial<Record<keyof WishFormValues, string>>;

const limits = { title: 200, details: 2000, residentName: 100, residentContact: 200 } as const;

export function wishFormValues(form: Record<string, string>): WishFormValues {
  const get = (k: string) => (form[k] ?? '').trim();
  return { category: get('category'), title: get('title'), details: get('details'), neededBy: get('neededBy'), orgUnitId: get('orgUnitId'), residentName: get('residentName'), residentContact: get('residentContact') };
}

/** The end of a calendar day (23:59) in the programme's time zone, as an instant; undefined for a bad date. */
export function endOfDay(day: string, timeZone: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  const guess = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 0);
  if (Number.isNaN(guess) || new Date(guess).toISOString().slice(0, 10) !== day) return undefined;
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(new Date(guess)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const offset = /^GMT([+-])(\d{2}):(\d{2})$/.exec(name);
  const minutes = offset ? (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) : 0;
  return new Date(guess - minutes * 60_000).toISOString();
}

/**
 * Checks the form and builds the service's input. `staff`: the desk's form, with the unit and the
 * resident. Returns the errors in words when a person has something to fix.
 */
export function readWishForm(lang: Lang, v: WishFormValues, timeZone: string, staff: boolean): { input: CreateWishInput; errors?: undefined } | { errors: FieldErrors; input?: undefined } {
  const t = wishStrings[lang];
  const errors: FieldErrors = {};
  if (staff && !v.orgUnitId) errors.orgUnitId = t.errUnit;
  if (!v.category) errors.category = t.errCategory;
  if (!v.title) errors.title = t.errTitle;
  else if (v.title.length > limits.title) errors.title = t.errTitleLong;
  if (v.details.length > limits.details) errors.details = t.errDetailsLong;
  let neededBy: string | undefined;
  if (v.neededBy) {
    neededBy = endOfDay(v.neededBy, timeZone);
    if (!neededBy) errors.neededBy = t.errDate;
  }
  if (staff) {
    if (!v.residentName) errors.residentName = t.errResidentName;
    else if (v.residentName.length > limits.residentName) errors.residentName = t.errLong(limits.residentName);
    if (!v.residentContact) errors.residentContact = t.errResidentContact;
    else if (v.residentContact.length > limits.residentContact) errors.residentContact = t.errLong(limits.residentContact);
  }
  if (Object.keys(errors).length > 0) return { errors };
  // The API's own schema has the last word on shapes, so a page never accepts what /v1 refuses.
  const parsed = CreateWishBody.safeParse({
    orgUnitId: v.orgUnitId,
    category: v.category,
    title: v.title,
    details: v.details || undefined,
    neededBy,
    onBehalfOf: staff ? { name: v.residentName, contact: v.residentContact } : undefined,
  });
  if (!parsed.success) {
    const byPath: Record<string, keyof WishFormValues> = { orgUnitId: 'orgUnitId', category: 'category', title: 'title', details: 'details', neededBy: 'neededBy', 'onBehalfOf.name': 'residentName', 'onBehalfOf.contact': 'residentContact' };
    const generic: Record<keyof WishFormValues, string> = { orgUnitId: t.errUnit, category: t.errCategory, title: t.errTitle, details: t.errDetailsLong, neededBy: t.errDate, residentName: t.errResidentName, residentContact: t.errResidentContact };
    for (const issue of parsed.error.issues) {
      const field = byPath[issue.path.join('.')] ?? 'title';
      errors[field] ??= generic[field];
    }
    return { errors };
  }
  return { input: parsed.data };
}

/**
 * A refusal of the service that a person can fix in the form, said next to its field; undefined
 * for anything else (the page's error handler says those).
 */
export function fieldErrorsOf(lang: Lang, error: unknown): FieldErrors | undefined {
  if (!(error instanceof DomainError)) return undefined;
  const t = wishStrings[lang];
  const message = error.message;
  if (error.code === 'inactive') return message.includes('category') ? { category: t.errCategoryRetired } : { orgUnitId: t.errUnitInactive };
  if (error.code !== 'validation_failed') return undefined;
  const fields = (error.extensions.errors as { path: string }[] | undefined) ?? [];
  const errors: FieldErrors = {};
  for (const { path } of fields) {
    if (path === 'neededBy') errors.neededBy = t.errDatePast;
    else if (path === 'category') errors.category = t.errCategory;
    else if (path === 'orgUnitId') errors.orgUnitId = t.errUnit;
    else if (path.startsWith('onBehalfOf')) errors.residentName = t.errResidentName;
  }
  return Object.keys(errors).length > 0 ? errors : undefined;
}

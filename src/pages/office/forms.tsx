import type { ZodType } from 'zod';
import { Select } from '../common/components.js';
import { sharedStrings } from '../common/strings.js';
import type { Lang } from '../common/i18n.js';

/**
 * How the office's forms are read: the typed values go through the API's own zod schema (so a
 * page can never accept what the API would refuse), and each failing field gets the page's own
 * sentence for it, in the page's language, next to the field.
 */

export interface FormError {
  field: string;
  message: string;
}

export type Parsed<T> = { ok: true; data: T } | { ok: false; errors: FormError[] };

/** A whole number typed in a box ("12"), or NaN, which the schema then refuses. */
export const wholeNumber = (text: string | undefined) => (/^\s*\d{1,9}\s*$/.test(text ?? '') ? Number(text) : Number.NaN);

/** An optional whole number: empty is null. */
export const optionalWholeNumber = (text: string | undefined) => ((text ?? '').trim() === '' ? null : wholeNumber(text));

/**
 * Parses `input` with `schema`; a failing field is reported once, with `messages[field]` (the
 * first path segment names the field; a refinement on the whole body goes to `fallbackField`).
 */
export function parseWith<T>(schema: ZodType<T>, input: unknown, messages: Record<string, string>, fallbackField: string): Parsed<T> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, data: result.data };
  const errors: FormError[] = [];
  for (const issue of result.error.issues) {
    const field = issue.path.length > 0 && String(issue.path[0]) in messages ? String(issue.path[0]) : fallbackField;
    if (!errors.some((e) => e.field === field)) errors.push({ field, message: messages[field] ?? messages[fallbackField] ?? issue.message });
  }
  return { ok: false, errors };
}

export const errorFor = (errors: FormError[], field: string) => errors.find((e) => e.field === field)?.message;

/** The shared Select, with the error prefix of the page's language. */
export function SelectField(props: { lang: Lang; id: string; label: string; hint?: string; error?: string | undefined; value: string; options: { value: string; label: string }[] }) {
  return <Select {...props} errorPrefix={sharedStrings[props.lang].errorPrefix} />;
}

/** A one-button form posting to an action (deactivate, issue a code). */
export function ActionButton(props: { action: string; label: string; variant?: 'primary' | 'secondary' | 'warning'; subject: string }) {
  return (
    <form method="post" action={props.action} class="inline-form">
      <button type="submit" class={`button button-${props.variant ?? 'secondary'} button-small`} aria-label={`${props.label}：${props.subject}`}>
        {props.label}
      </button>
    </form>
  );
}

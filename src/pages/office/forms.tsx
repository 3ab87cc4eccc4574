import type { ZodType } from 'zod';
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

/** A labelled <select> with its error in words, like the framework's Field. */
export function SelectField(props: { lang: Lang; id: string; label: string; hint?: string; error?: string | undefined; value: string; options: { value: string; label: string }[] }) {
  const describedBy = [props.hint ? `${props.id}-hint` : '', props.error ? `${props.id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={props.error ? 'field field-error' : 'field'}>
      <label class="label" for={props.id}>
        {props.label}
      </label>
      {props.hint && (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="error-message" id={`${props.id}-error`}>
          <span class="visually-hidden">{sharedStrings[props.lang].errorPrefix}</span>
          {props.error}
        </p>
      )}
      <select class="input" id={props.id} name={props.id} aria-describedby={describedBy} aria-invalid={props.error ? 'true' : undefined}>
        {props.options.map((o) => (
          <option value={o.value} selected={o.value === props.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
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

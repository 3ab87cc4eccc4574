import type { Child, PropsWithChildren } from 'hono/jsx';
import { raw } from 'hono/html';
import QRCode from 'qrcode';

/**
 * The pieces pages are made of. Markup only: no data, no strings of their own (the caller passes
 * words in the page's language). Classes are the stylesheet's (common/app.css); there are no style
 * attributes anywhere (the pages' Content-Security-Policy refuses them).
 */

type Variant = 'primary' | 'secondary' | 'warning';

export function Button(props: PropsWithChildren<{ variant?: Variant; name?: string; value?: string; id?: string; type?: 'submit' | 'button' }>) {
  return (
    <button type={props.type ?? 'submit'} class={`button button-${props.variant ?? 'primary'}`} name={props.name} value={props.value} id={props.id}>
      {props.children}
    </button>
  );
}

export function ButtonLink(props: PropsWithChildren<{ href: string; variant?: Variant; id?: string }>) {
  return (
    <a href={props.href} class={`button button-${props.variant ?? 'primary'}`} id={props.id}>
      {props.children}
    </a>
  );
}

/** A form that posts to a page route; without scripts it is an ordinary post, redirect, get. */
export function PostForm(props: PropsWithChildren<{ action: string; id?: string; class?: string; label?: string }>) {
  return (
    <form method="post" action={props.action} id={props.id} class={props.class} aria-label={props.label} novalidate>
      {props.children}
    </form>
  );
}

export interface FieldProps {
  id: string;
  name?: string;
  label: string;
  hint?: string;
  /** The error for this field, in words, shown next to it. */
  error?: string | undefined;
  errorPrefix: string;
  value?: string;
  type?: 'text' | 'number' | 'date' | 'tel' | 'search';
  autocomplete?: string;
  inputmode?: 'text' | 'numeric' | 'decimal' | 'tel' | 'search' | 'none';
  maxlength?: number;
  autofocus?: boolean;
  spellcheck?: boolean;
  /** Characters the browser capitalises as typed: "characters" for codes. */
  autocapitalize?: 'off' | 'characters';
  wide?: boolean;
}

/** The ids a field's hint and error take, and the aria-describedby that names them. */
function describe(props: { id: string; hint?: string | undefined; error?: string | undefined }) {
  const hintId = props.hint ? `${props.id}-hint` : undefined;
  const errorId = props.error ? `${props.id}-error` : undefined;
  return { hintId, errorId, describedBy: [hintId, errorId].filter(Boolean).join(' ') || undefined };
}

/** What every field shows around its control: the label, the hint, and the error in words. */
function FieldFrame(props: PropsWithChildren<{ id: string; label: string; hint?: string | undefined; error?: string | undefined; errorPrefix: string }>) {
  const { hintId, errorId } = describe(props);
  return (
    <div class={props.error ? 'field field-error' : 'field'}>
      <label class="label" for={props.id}>
        {props.label}
      </label>
      {props.hint && (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="error-message" id={errorId}>
          <span class="visually-hidden">{props.errorPrefix}</span>
          {props.error}
        </p>
      )}
      {props.children}
    </div>
  );
}

/** A labelled input with its hint and, when there is one, its error in words next to it. */
export function Field(props: FieldProps) {
  const { describedBy } = describe(props);
  return (
    <FieldFrame {...props}>
      <input
        class={props.wide ? 'input input-wide' : 'input'}
        id={props.id}
        name={props.name ?? props.id}
        type={props.type ?? 'text'}
        value={props.value}
        autocomplete={props.autocomplete}
        inputmode={props.inputmode}
        maxlength={props.maxlength}
        autofocus={props.autofocus}
        spellcheck={props.spellcheck}
        autocapitalize={props.autocapitalize}
        aria-describedby={describedBy}
        aria-invalid={props.error ? 'true' : undefined}
      />
    </FieldFrame>
  );
}

interface ChoiceFieldProps {
  id: string;
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
  errorPrefix: string;
  value?: string | undefined;
}

/** A labelled choice from a list (a long one: a few choices read better as radio buttons). */
export function Select(props: ChoiceFieldProps & { options: { value: string; label: string }[] }) {
  return (
    <FieldFrame {...props}>
      <select class="input" id={props.id} name={props.id} aria-describedby={describe(props).describedBy} aria-invalid={props.error ? 'true' : undefined}>
        {props.options.map((o) => (
          <option value={o.value} selected={o.value === props.value}>
            {o.label}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}

/** A labelled multi-line text box; `sheet` makes it a wide box for pasted spreadsheet rows (no spell check). */
export function TextArea(props: ChoiceFieldProps & { rows?: number; maxlength?: number; sheet?: boolean }) {
  return (
    <FieldFrame {...props}>
      <textarea
        class={props.sheet ? 'input textarea' : 'input'}
        id={props.id}
        name={props.id}
        rows={props.rows ?? 3}
        maxlength={props.maxlength}
        spellcheck={props.sheet ? false : undefined}
        aria-describedby={describe(props).describedBy}
        aria-invalid={props.error ? 'true' : undefined}
      >
        {props.value ?? ''}
      </textarea>
    </FieldFrame>
  );
}

/** At the top of a form that was refused: every error, each a link to its field. */
export function ErrorSummary(props: { title: string; errors: { field: string; message: string }[] }) {
  if (props.errors.length === 0) return null;
  return (
    <div class="error-summary" role="alert" tabindex={-1} id="error-summary">
      <h2 class="error-summary-title">{props.title}</h2>
      <ul>
        {props.errors.map((e) => (
          <li>
            <a href={`#${e.field}`}>{e.message}</a>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The answer to something just done: green for done, red for refused, always with words. */
export function Outcome(props: PropsWithChildren<{ tone: 'ok' | 'bad' | 'info'; title: string; id?: string }>) {
  return (
    <section class={`outcome outcome-${props.tone}`} role={props.tone === 'bad' ? 'alert' : 'status'} id={props.id} aria-labelledby={props.id ? `${props.id}-title` : undefined}>
      <h2 class="outcome-title" id={props.id ? `${props.id}-title` : undefined}>
        {props.title}
      </h2>
      {props.children}
    </section>
  );
}

/** Label and value pairs, read down the page. */
export function SummaryList(props: { rows: [label: Child, value: Child][]; class?: string }) {
  return (
    <dl class={props.class ? `summary ${props.class}` : 'summary'}>
      {props.rows.map(([label, value]) => (
        <div class="summary-row">
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Table(props: { caption: string; head: Child[]; rows: Child[][]; numeric?: number[]; id?: string; empty?: string }) {
  const numeric = new Set(props.numeric ?? []);
  if (props.rows.length === 0 && props.empty) {
    return (
      <p class="empty" id={props.id}>
        {props.empty}
      </p>
    );
  }
  return (
    // A table wider than a phone scrolls sideways; keyboard users reach the scroll through tabindex.
    <div class="table-wrap" role="region" aria-label={props.caption} tabindex={0}>
      <table class="table" id={props.id}>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            {props.head.map((h, i) => (
              <th scope="col" class={numeric.has(i) ? 'num' : undefined}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr>
              {row.map((cell, i) => (
                <td class={numeric.has(i) ? 'num' : undefined}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Newer and older pages of a list (the cursor is the API's). */
export function Pager(props: { newerHref?: string | undefined; olderHref?: string | undefined; newerLabel: string; olderLabel: string }) {
  if (!props.newerHref && !props.olderHref) return null;
  return (
    <nav class="pager" aria-label="pages">
      {props.newerHref && (
        <a class="button button-secondary" href={props.newerHref}>
          {props.newerLabel}
        </a>
      )}
      {props.olderHref && (
        <a class="button button-secondary" href={props.olderHref}>
          {props.olderLabel}
        </a>
      )}
    </nav>
  );
}

/** Text as a QR code, drawn on the server as SVG (no image request, no script). */
export async function qrSvg(text: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 4, color: { dark: '#000000', light: '#ffffff' } });
  return svg.replace('<svg ', '<svg aria-hidden="true" focusable="false" ');
}

export function Qr(props: { svg: string; label: string; id?: string; class?: string }) {
  return (
    <div class={props.class ? `qr ${props.class}` : 'qr'} role="img" aria-label={props.label} id={props.id}>
      {raw(props.svg)}
    </div>
  );
}

import type { Context } from 'hono';
import { DomainError } from '../../errors.js';
import { sheetFileBytesMax, sheetTextCharsMax } from '../../records/sheet.js';
import type { PageEnv } from '../common/env.js';
import { readWebBody, requireSameOrigin } from '../../http/middleware.js';

/**
 * The desk's form pieces the shared components do not have (a file, hidden fields), and the one form
 * the shared reader is too small for: a sheet of hours, pasted or uploaded.
 */

export function FileInput(props: { id: string; label: string; accept: string }) {
  return (
    <div class="field">
      <label class="label" for={props.id}>
        {props.label}
      </label>
      <input class="input input-file" type="file" id={props.id} name={props.id} accept={props.accept} />
    </div>
  );
}

export const Hidden = (props: { name: string; value: string }) => <input type="hidden" name={props.name} value={props.value} />;

/** A sheet form: the pasted text, an uploaded file and a few short fields. */
export interface SheetForm {
  /** The first value of each field. */
  fields: Record<string, string>;
  /** Every value of each field, for a field repeated (ticked boxes, a list of ids). */
  all: Map<string, string[]>;
  file?: { name: string; bytes: Buffer } | undefined;
}

/** The largest sheet form: a file or pasted text at their limits, and room for the short fields. */
const sheetFormBytesMax = Math.max(sheetFileBytesMax, sheetTextCharsMax * 3) + 64 * 1024;

/**
 * Reads a sheet form (urlencoded, or multipart when a file is attached) after the same-origin
 * check, refusing more than sheetFormBytesMax bytes before parsing any of it. Also serves forms
 * that repeat a field (the approval queue's list of records), which the shared reader keeps once.
 */
export async function readSheetForm(c: Context<PageEnv>, publicUrl: string): Promise<SheetForm> {
  requireSameOrigin(c, publicUrl);
  const type = c.req.header('content-type') ?? '';
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)(\s*;.*)?$/i.test(type)) throw new DomainError('unsupported_media_type', 'this page takes a form');
  const length = Number(c.req.header('content-length') ?? '0');
  if (length > sheetFormBytesMax) throw new DomainError('payload_too_large', `at most ${sheetFormBytesMax} bytes`);
  const bytes = await readWebBody(c.req.raw, sheetFormBytesMax, () => new DomainError('payload_too_large', `at most ${sheetFormBytesMax} bytes`));
  const form = await new Request('http://form.invalid/', { method: 'POST', headers: { 'content-type': type }, body: bytes }).formData();
  const fields: Record<string, string> = {};
  const all = new Map<string, string[]>();
  let file: SheetForm['file'];
  for (const [key, value] of form) {
    if (typeof value === 'string') {
      const text = value.replaceAll('\u0000', '');
      if (!(key in fields)) fields[key] = text;
      all.set(key, [...(all.get(key) ?? []), text]);
    } else if (value.size > 0 && !file) {
      file = { name: value.name.slice(0, 200), bytes: Buffer.from(await value.arrayBuffer()) };
    }
  }
  return { fields, all, file };
}

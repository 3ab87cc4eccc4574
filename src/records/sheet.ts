import { readSheet } from 'read-excel-file/node';
import { batchSizeMax, minutesMax, unitsMax } from './schemas.js';

/**
 * Hours entered from a spreadsheet: rows pasted from a spreadsheet (tab-separated), a CSV file or an
 * .xlsx workbook become the same rows — who (name, phone or volunteer id) and how long (hours or
 * minutes, and units). Pure apart from unzipping the workbook: nothing here knows who is asking or
 * what the database holds; matching the people is volunteers/match.ts's job.
 */

/** What one sheet may hold: the bulk entry's own limit of rows, and bounds on the text around them. */
export const sheetRowsMax = batchSizeMax;
export const sheetTextCharsMax = 1_000_000;
export const sheetFileBytesMax = 2 * 1024 * 1024;
const columnsMax = 30;
const cellCharsMax = 200;

export type SheetColumn = 'name' | 'phone' | 'id' | 'hours' | 'minutes' | 'units';

/** A problem with one row that is plain from the sheet itself, before anyone is looked up. */
export type SheetRowProblem = 'no_person' | 'no_time' | 'bad_hours' | 'bad_minutes' | 'bad_units' | 'too_long';

export interface SheetRow {
  /** The row's line in the sheet as people see it (1 is the first line, the header if there is one). */
  line: number;
  name?: string;
  phone?: string;
  id?: string;
  minutes?: number;
  units?: number;
  problems: SheetRowProblem[];
}

export interface ParsedSheet {
  /** The columns as read, in order; a sheet without a header row is read as name, phone, hours. */
  columns: (SheetColumn | null)[];
  hasHeader: boolean;
  rows: SheetRow[];
}

export class SheetError extends Error {
  constructor(
    readonly reason: 'empty' | 'too_many_rows' | 'too_large' | 'not_a_workbook' | 'no_columns',
    message: string,
  ) {
    super(message);
  }
}

/** Columns taken when the first row is not a header: the order our template and most lists use. */
export const defaultColumns: SheetColumn[] = ['name', 'phone', 'hours'];

/**
 * Which column a header cell names, in Chinese or English. More specific words are tried first:
 * "时长（分钟）" is minutes, "时长" alone is hours.
 */
export function columnOf(header: string): SheetColumn | null {
  const h = header.toLowerCase().replace(/\s+/g, '');
  if (!h) return null;
  if (/分钟|minute|^mins?$/.test(h)) return 'minutes';
  if (/小时|时长|工时|hour|^hrs?$/.test(h)) return 'hours';
  if (/数量|件数|次数|unit/.test(h)) return 'units';
  if (/手机|电话|phone|mobile|^tel/.test(h)) return 'phone';
  if (/编号|^id$|volunteerid|volunteer_id|志愿者id/.test(h)) return 'id';
  if (/姓名|名字|^name$|志愿者/.test(h)) return 'name';
  return null;
}

/**
 * Splits delimited text into cells: tab-separated when any line holds a tab (what a spreadsheet
 * puts on the clipboard), otherwise comma-separated. Quotes follow RFC 4180 in both (a spreadsheet
 * quotes a cell holding a tab, a comma or a line break).
 */
export function splitDelimited(text: string): string[][] {
  if (text.length > sheetTextCharsMax) throw new SheetError('too_large', `at most ${sheetTextCharsMax} characters`);
  const body = text.replace(/^\uFEFF/, '');
  const delimiter = body.includes('\t') ? '\t' : ',';
  const table: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (quoted) {
      if (ch === '"' && body[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (ch === delimiter) {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && body[i + 1] === '\n') i++;
      row.push(cell);
      table.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    table.push(row);
  }
  return table;
}

/** Reads the first sheet of an .xlsx workbook into cells as text. */
export async function splitWorkbook(bytes: Buffer): Promise<string[][]> {
  if (bytes.length > sheetFileBytesMax) throw new SheetError('too_large', `at most ${sheetFileBytesMax} bytes`);
  let data: unknown[][];
  try {
    data = await readSheet(bytes);
  } catch {
    throw new SheetError('not_a_workbook', 'not an .xlsx workbook this service can read');
  }
  return data.map((row) =>
    row.map((value) => {
      if (value === null || value === undefined) return '';
      if (value instanceof Date) return value.toISOString();
      return String(value);
    }),
  );
}

/** A number as people type it in a sheet: "1.5", "1,5" (a decimal comma), " 2 ". */
function numberIn(cell: string): number | undefined {
  const text = cell.trim().replace(/^(\d+),(\d+)$/, '$1.$2');
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/**
 * Turns a table of cells into rows of who and how long. The first row is a header when one of its
 * cells names a column and none holds a digit; otherwise columns are name, phone, hours. Empty rows are skipped; each other
 * row keeps its line number so a preview can point at it, and carries the problems visible from the
 * sheet alone (no one named, no time, a number that is not one, more than an activity may hold).
 */
export function rowsFromTable(table: string[][]): ParsedSheet {
  const lines = table.map((cells, i) => ({ line: i + 1, cells: cells.slice(0, columnsMax).map((c) => c.trim().slice(0, cellCharsMax)) }));
  const filled = lines.filter((l) => l.cells.some((c) => c !== ''));
  if (filled.length === 0) throw new SheetError('empty', 'the sheet has no rows');
  const first = filled[0]!.cells;
  const headerColumns = first.map(columnOf);
  // A header names at least one column and holds no number: "一小时" in a row of data is not one.
  const hasHeader = headerColumns.some((c) => c !== null) && !first.some((c) => /[0-9]/.test(c));
  const columns = hasHeader ? headerColumns : defaultColumns;
  if (!columns.some((c) => c === 'name' || c === 'phone' || c === 'id')) throw new SheetError('no_columns', 'no column names a person (name, phone or id)');
  const dataLines = hasHeader ? filled.slice(1) : filled;
  if (dataLines.length === 0) throw new SheetError('empty', 'the sheet has a header but no rows');
  if (dataLines.length > sheetRowsMax) throw new SheetError('too_many_rows', `at most ${sheetRowsMax} rows at once`);

  const rows = dataLines.map(({ line, cells }) => {
    const row: SheetRow = { line, problems: [] };
    let hours: number | undefined;
    let minutes: number | undefined;
    columns.forEach((column, i) => {
      const cell = cells[i] ?? '';
      if (!column || cell === '') return;
      if (column === 'name') row.name = cell;
      else if (column === 'phone') row.phone = cell;
      else if (column === 'id') row.id = cell;
      else if (column === 'hours') {
        hours = numberIn(cell);
        if (hours === undefined) row.problems.push('bad_hours');
      } else if (column === 'minutes') {
        minutes = numberIn(cell);
        if (minutes === undefined || !Number.isInteger(minutes)) row.problems.push('bad_minutes');
      } else {
        const units = numberIn(cell);
        if (units === undefined || !Number.isInteger(units) || units > unitsMax) row.problems.push('bad_units');
        else row.units = units;
      }
    });
    if (!row.name && !row.phone && !row.id) row.problems.push('no_person');
    const total = minutes ?? (hours !== undefined ? Math.round(hours * 60) : undefined);
    if (total === undefined) {
      // Units alone are service too (haircuts given, under a per-unit rule): no minutes then.
      if (row.units !== undefined) row.minutes = 0;
      else if (!row.problems.includes('bad_hours') && !row.problems.includes('bad_minutes')) row.problems.push('no_time');
    } else if (total > minutesMax) row.problems.push('too_long');
    else row.minutes = total;
    return row;
  });
  return { columns, hasHeader, rows };
}

/** Pasted text or a CSV file, into rows. */
export function parseSheetText(text: string): ParsedSheet {
  return rowsFromTable(splitDelimited(text));
}

/** An uploaded file, by its name: .xlsx workbooks are unzipped, anything else is read as CSV text. */
export async function parseSheetFile(fileName: string, bytes: Buffer): Promise<ParsedSheet> {
  if (bytes.length > sheetFileBytesMax) throw new SheetError('too_large', `at most ${sheetFileBytesMax} bytes`);
  if (/\.xlsx$/i.test(fileName) || (bytes[0] === 0x50 && bytes[1] === 0x4b)) return rowsFromTable(await splitWorkbook(bytes));
  return parseSheetText(bytes.toString('utf8'));
}

/**
 * CSV and JSON documents written as streams. A report is a head (a few summary figures, computed
 * before anything is sent, so errors still become problem+json) and a lazy sequence of row
 * batches fetched by keyset; the stream pulls one batch at a time, so memory stays flat however
 * many rows there are.
 *
 * CSV follows RFC 4180 (CRLF line ends, fields with commas, quotes or line breaks quoted, quotes
 * doubled) and starts with a UTF-8 byte order mark so that spreadsheet programs read Chinese names
 * as UTF-8 rather than the local code page.
 */

export const csvBom = '\ufeff';
export const csvContentType = 'text/csv; charset=utf-8';
export const jsonContentType = 'application/json; charset=utf-8';

/** A report ready to send: its summary and, lazily, its rows. */
export interface ReportDocument<Head, Row> {
  head: Head;
  /** Row batches in order; a new iteration starts from the first batch. */
  batches: () => AsyncIterable<Row[]>;
}

export interface CsvColumn<Row> {
  header: string;
  value: (row: Row) => unknown;
}

/** How one report looks as CSV: an optional block of label/value lines, then a table. */
export interface CsvLayout<Head, Row> {
  filename: (head: Head) => string;
  preamble?: (head: Head) => [string, unknown][];
  columns: CsvColumn<Row>[];
}

// A cell a spreadsheet would evaluate as a formula (=, +, -, @, tab, CR at the start) is prefixed
// with an apostrophe: a memo typed by staff must never run as a formula on the office's computer.
// Numbers are written as numbers, so negative amounts stay negative.
const formulaStart = /^[=+\-@\t\r]/;
const needsQuotes = /[",\r\n]|^\s|\s$/;

export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  let text = value instanceof Date ? value.toISOString() : String(value);
  if (formulaStart.test(text)) text = `'${text}`;
  return needsQuotes.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** The CSV text of a report, chunk by chunk: BOM and preamble, header, then one chunk per batch. */
export async function* csvChunks<Head, Row>(doc: ReportDocument<Head, Row>, layout: CsvLayout<Head, Row>): AsyncGenerator<string> {
  let first = csvBom;
  if (layout.preamble) {
    for (const [label, value] of layout.preamble(doc.head)) first += csvLine([label, value]);
    first += '\r\n';
  }
  yield first + csvLine(layout.columns.map((c) => c.header));
  for await (const batch of doc.batches()) {
    let chunk = '';
    for (let i = 0; i < batch.length; i++) {
      chunk += csvLine(layout.columns.map((c) => c.value(batch[i] as Row)));
      release(batch, i);
      if (chunk.length >= chunkCharsMax) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
}

/**
 * Characters per chunk handed to the socket. Kept well under V8's large-object threshold (128 KiB,
 * and two bytes a character once a Chinese name appears) so every chunk is allocated in, and dies
 * in, the young generation; a large string per batch would go straight to the old generation and
 * pile up until a full collection, making memory grow with the size of the export.
 */
const chunkCharsMax = 32 * 1024;

/**
 * Drops a row once it has been turned into text. The generators stay suspended (holding their
 * variables) while the socket drains a chunk; dropping each row as it is written lets it die young
 * instead of surviving into the old generation.
 */
function release(batch: unknown[], index: number) {
  batch[index] = undefined;
}

/**
 * The JSON text of a report: the head's members followed by `items`, an array written batch by
 * batch. The result is one ordinary JSON document; only its production is incremental.
 */
export async function* jsonChunks<Head extends object, Row>(doc: ReportDocument<Head, Row>, itemsKey = 'items'): AsyncGenerator<string> {
  const head = JSON.stringify(doc.head);
  yield `${head.slice(0, -1)}${head.length > 2 ? ',' : ''}${JSON.stringify(itemsKey)}:[`;
  let first = true;
  for await (const batch of doc.batches()) {
    let chunk = '';
    for (let i = 0; i < batch.length; i++) {
      chunk += (first ? '' : ',') + JSON.stringify(batch[i]);
      first = false;
      release(batch, i);
      if (chunk.length >= chunkCharsMax) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  yield ']}';
}

/**
 * A byte stream over text chunks that asks for the next chunk only when the previous one has been
 * taken by the socket (pull with a high-water mark of one chunk): a slow reader slows the queries
 * rather than filling memory. If the client goes away the generator is closed, ending the queries.
 */
export function byteStream(chunks: AsyncGenerator<string>, onError: (error: unknown) => void): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value));
        } catch (error) {
          // The status line has gone out already; aborting the body is the only honest signal left.
          onError(error);
          controller.error(error);
        }
      },
      async cancel() {
        await chunks.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}

/** Rows fetched in keyset order, `batchSize` per query, until a short batch says there are no more. */
export function keysetBatches<Row, Key>(fetch: (after: Key | undefined, limit: number) => Promise<Row[]>, keyOf: (row: Row) => Key, batchSize: number): () => AsyncIterable<Row[]> {
  return async function* () {
    let after: Key | undefined;
    for (;;) {
      const rows = await fetch(after, batchSize);
      // Read everything needed from the batch before yielding it: the consumer empties it.
      const count = rows.length;
      if (count > 0) after = keyOf(rows[count - 1] as Row);
      if (count > 0) yield rows;
      if (count < batchSize) return;
    }
  };
}

/** A report whose rows are already in hand (leaderboards, summaries): one batch. */
export function inHand<Row>(rows: Row[]): () => AsyncIterable<Row[]> {
  return async function* () {
    if (rows.length > 0) yield rows;
  };
}

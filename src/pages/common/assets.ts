import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

/**
 * The pages' static files: one stylesheet, a few small scripts, and the QR decoder the counter loads
 * when its camera opens. Each is served at a name carrying a hash of its bytes
 * (`/app/assets/app.3f9c0a1b2d.css`), so it can be cached for a year and a new release is fetched
 * at once; compressed (brotli or gzip) once, on first request, and kept.
 *
 * An area keeps its scripts in its own folder and lists them here, once.
 */
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const zxingDist = path.dirname(path.dirname(createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm')));

const sources: { name: string; file: string }[] = [
  { name: 'app.css', file: here('./app.css') },
  { name: 'icon.svg', file: here('./icon.svg') },
  { name: 'auto-submit.js', file: here('./auto-submit.js') },
  { name: 'countdown.js', file: here('../wallet/countdown.js') },
  { name: 'print.js', file: here('../wallet/print.js') },
  { name: 'counter.js', file: here('../counter/counter.js') },
  { name: 'scan-worker.js', file: here('../counter/scan-worker.js') },
  // The organiser's desk: refreshes the rotating check-in code and the live list of who is here.
  { name: 'desk.js', file: here('../desk/desk.js') },
  // zxing-cpp compiled to WebAssembly: the reader only, as a classic script a Web Worker imports.
  { name: 'zxing-reader.js', file: path.join(zxingDist, 'iife', 'reader', 'index.js') },
  { name: 'zxing_reader.wasm', file: path.join(zxingDist, 'reader', 'zxing_reader.wasm') },
];

export type AssetName = (typeof sources)[number]['name'];

const types: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

type Encoding = 'br' | 'gzip';

interface Asset {
  urlName: string;
  type: string;
  bytes: Buffer;
  compressed: Map<Encoding, Promise<Buffer>>;
}

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

export const assetPrefix = '/app/assets/';
export const longCache = 'public, max-age=31536000, immutable';

export class Assets {
  private readonly byName = new Map<string, Asset>();
  private readonly byUrlName = new Map<string, Asset>();

  constructor() {
    for (const source of sources) {
      const bytes = fs.readFileSync(source.file);
      const ext = path.extname(source.name);
      const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
      const asset: Asset = { urlName: `${source.name.slice(0, -ext.length)}.${hash}${ext}`, type: types[ext] ?? 'application/octet-stream', bytes, compressed: new Map() };
      this.byName.set(source.name, asset);
      this.byUrlName.set(asset.urlName, asset);
    }
  }

  /** The address of an asset, with its hash. */
  url(name: AssetName): string {
    const asset = this.byName.get(name);
    if (!asset) throw new Error(`no page asset named ${name}`);
    return assetPrefix + asset.urlName;
  }

  /** The response for `/app/assets/<urlName>`, or undefined when no asset has that name (and hash). */
  async respond(urlName: string, acceptEncoding: string | undefined): Promise<Response | undefined> {
    const asset = this.byUrlName.get(urlName);
    if (!asset) return undefined;
    const encoding = pickEncoding(acceptEncoding);
    const headers: Record<string, string> = {
      'content-type': asset.type,
      'cache-control': longCache,
      vary: 'accept-encoding',
      'x-content-type-options': 'nosniff',
    };
    let body = asset.bytes;
    if (encoding) {
      let pending = asset.compressed.get(encoding);
      if (!pending) {
        pending = encoding === 'br' ? brotli(asset.bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }) : gzip(asset.bytes, { level: 9 });
        asset.compressed.set(encoding, pending);
      }
      body = await pending;
      headers['content-encoding'] = encoding;
    }
    headers['content-length'] = String(body.length);
    return new Response(new Uint8Array(body), { status: 200, headers });
  }
}

/** Brotli when the browser takes it, else gzip, else none (q=0 refuses an encoding). */
export function pickEncoding(acceptEncoding: string | undefined): Encoding | undefined {
  if (!acceptEncoding) return undefined;
  const accepted = new Set(
    acceptEncoding
      .slice(0, 500)
      .split(',')
      .map((e) => e.trim().toLowerCase())
      .filter((e) => !/;\s*q=0(\.0*)?$/.test(e))
      .map((e) => e.split(';')[0]!.trim()),
  );
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return undefined;
}

/** An HTML page, compressed for the wire when it is worth it (quick settings: pages are made per request). */
export async function compressHtml(html: string, acceptEncoding: string | undefined): Promise<{ body: Uint8Array; encoding?: Encoding }> {
  const bytes = Buffer.from(html, 'utf8');
  const encoding = bytes.length >= 1024 ? pickEncoding(acceptEncoding) : undefined;
  if (!encoding) return { body: new Uint8Array(bytes) };
  const body = encoding === 'br' ? await brotli(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } }) : await gzip(bytes, { level: 6 });
  return { body: new Uint8Array(body), encoding };
}

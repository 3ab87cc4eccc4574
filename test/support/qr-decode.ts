import fs from 'node:fs';
import { createRequire } from 'node:module';
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';

/**
 * Reads the QR code in a picture (a PNG screenshot of a page element), with the same decoder the
 * counter page serves, its WebAssembly loaded from node_modules (it would otherwise fetch it from a CDN).
 */
let prepared = false;

export async function decodeQrPng(png: Uint8Array): Promise<string[]> {
  if (!prepared) {
    const wasm = fs.readFileSync(createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm'));
    prepareZXingModule({ overrides: { wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) }, fireImmediately: true });
    prepared = true;
  }
  const results = await readBarcodes(png, { formats: ['QRCode'] });
  return results.map((r) => r.text);
}

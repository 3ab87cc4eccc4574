// Decodes QR codes from camera frames off the page's main thread, with zxing-cpp compiled to
// WebAssembly (zxing-wasm's reader), both files served by this service: nothing is fetched from
// the internet (the library's own default would load the .wasm from a CDN, so locateFile is set).
'use strict';
let ready = null;

self.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'init') {
    try {
      self.importScripts(message.reader);
      ready = self.ZXingWASM.prepareZXingModule({
        overrides: { locateFile: (path, prefix) => (path.endsWith('.wasm') ? message.wasm : prefix + path) },
        fireImmediately: true,
      });
      ready.then(
        () => self.postMessage({ type: 'ready' }),
        (error) => self.postMessage({ type: 'error', message: String(error) }),
      );
    } catch (error) {
      self.postMessage({ type: 'error', message: String(error) });
    }
    return;
  }
  if (message.type === 'frame' && ready) {
    ready
      .then(() => self.ZXingWASM.readBarcodes(message.image, { formats: ['QRCode'], tryHarder: true, maxNumberOfSymbols: 1 }))
      .then((results) => {
        const hit = results.find((result) => result.isValid);
        self.postMessage({ type: 'result', text: hit ? hit.text : null });
      })
      .catch(() => self.postMessage({ type: 'result', text: null }));
  }
};

// The counter's camera. Loaded with the page but light: the QR decoder (zxing-cpp compiled to
// WebAssembly, served by this service) is fetched only when the camera is opened, and runs in a
// Web Worker so the page stays responsive. A code found is put in the code field and the form is
// posted, exactly as a barcode scanner typing into the field and pressing Enter would.
(() => {
  'use strict';
  const scanner = document.getElementById('scanner');
  const controls = document.getElementById('camera-controls');
  if (!scanner || !controls || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.Worker) return;
  const openButton = document.getElementById('camera-open');
  const closeButton = document.getElementById('camera-close');
  const status = document.getElementById('camera-status');
  const video = document.getElementById('camera-video');
  const form = document.getElementById('redeem-form');
  const input = document.getElementById('code');
  controls.hidden = false;

  let stream = null;
  let worker = null;
  let timer = null;
  let busy = false;
  let canvas = null;

  const say = (key) => {
    status.textContent = status.getAttribute('data-' + key) || '';
  };

  function stop() {
    if (timer) window.clearInterval(timer);
    timer = null;
    if (worker) worker.terminate();
    worker = null;
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    busy = false;
    video.hidden = true;
    openButton.hidden = false;
    closeButton.hidden = true;
  }

  function found(text) {
    stop();
    status.textContent = '';
    input.value = text;
    if (typeof form.requestSubmit === 'function') form.requestSubmit();
    else form.submit();
  }

  function grab() {
    if (busy || !worker || !video.videoWidth) return;
    const width = video.videoWidth;
    const height = video.videoHeight;
    canvas = canvas || document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d', { willReadFrequently: true });
    context.drawImage(video, 0, 0, width, height);
    const image = context.getImageData(0, 0, width, height);
    busy = true;
    worker.postMessage({ type: 'frame', image }, [image.data.buffer]);
  }

  async function open() {
    say('starting');
    openButton.hidden = true;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment', width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false });
    } catch {
      stop();
      say('failed');
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    closeButton.hidden = false;
    try {
      await video.play();
    } catch {
      // Autoplay of a muted camera view is allowed; a refusal only delays the first frame.
    }
    worker = new Worker(scanner.getAttribute('data-worker'));
    worker.onmessage = (event) => {
      const message = event.data;
      if (message.type === 'ready') {
        say('ready');
        timer = window.setInterval(grab, 200);
      } else if (message.type === 'result') {
        busy = false;
        if (message.text) found(message.text);
      } else if (message.type === 'error') {
        stop();
        say('failed');
      }
    };
    worker.postMessage({
      type: 'init',
      reader: new URL(scanner.getAttribute('data-reader'), window.location.href).href,
      wasm: new URL(scanner.getAttribute('data-wasm'), window.location.href).href,
    });
  }

  openButton.addEventListener('click', open);
  closeButton.addEventListener('click', () => {
    stop();
    status.textContent = '';
    input.focus();
  });
  window.addEventListener('pagehide', stop);
})();

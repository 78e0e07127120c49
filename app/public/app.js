'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const state = { file: null, box: null, drag: null, sides: {}, busy: false };

  const showError = (msg) => { $('error').textContent = msg; $('error').hidden = !msg; };

  fetch('/v1/models').then((r) => r.json()).then((j) => {
    const m = j.models[0];
    $('model-line').textContent = `Model ${m.id} — ${m.jointNames.length} joints (${m.skeleton}), ${m.stages} cascade stage(s), input ${m.inputSize}×${m.inputSize}`;
    for (let s = 1; s <= m.stages; s++) $('stages').append(new Option(String(s), String(s), s === m.stages, s === m.stages));
    m.jointNames.forEach((n) => { state.sides[n] = n.startsWith('left') ? 'left' : n.startsWith('right') ? 'right' : 'center'; });
  }).catch(() => { $('model-line').textContent = 'The model is still loading; reload in a moment.'; });

  /** Forgets the previous result (a new photo was chosen). */
  function clearResult() {
    $('result-panel').hidden = true;
    const old = $('overlay').src;
    $('overlay').removeAttribute('src');
    if (old && old.startsWith('blob:')) URL.revokeObjectURL(old);
    $('joints').querySelector('tbody').replaceChildren();
    $('timing').textContent = '';
  }

  function setFile(file) {
    if (!file) return;
    if (!/^image\/(jpeg|png|webp)$/.test(file.type)) { showError(`${file.name}: choose a JPEG, PNG or WebP image`); return; }
    showError('');
    clearResult();
    state.file = file;
    state.box = null;
    $('box').hidden = true;
    $('box-text').textContent = '';
    const old = $('photo').src;
    $('photo').src = URL.createObjectURL(file);
    if (old && old.startsWith('blob:')) URL.revokeObjectURL(old);
    $('stage').hidden = false;
  }

  $('file').addEventListener('change', (e) => setFile(e.target.files[0]));
  const drop = $('drop');
  ['dragenter', 'dragover'].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add('over'); }));
  ['dragleave', 'drop'].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove('over'); }));
  drop.addEventListener('drop', (e) => setFile(e.dataTransfer.files[0]));

  // Box drawing, in displayed pixels, converted to image pixels on send.
  const frame = $('frame');
  const pos = (e) => { const r = frame.getBoundingClientRect(); return [Math.min(Math.max(e.clientX - r.left, 0), r.width), Math.min(Math.max(e.clientY - r.top, 0), r.height)]; };
  frame.addEventListener('pointerdown', (e) => { e.preventDefault(); state.drag = pos(e); frame.setPointerCapture(e.pointerId); });
  frame.addEventListener('pointermove', (e) => {
    if (!state.drag) return;
    const [x0, y0] = state.drag; const [x1, y1] = pos(e);
    const b = { x: Math.min(x0, x1), y: Math.min(y0, y1), w: Math.abs(x1 - x0), h: Math.abs(y1 - y0) };
    Object.assign($('box').style, { left: `${b.x}px`, top: `${b.y}px`, width: `${b.w}px`, height: `${b.h}px` });
    $('box').hidden = false;
    state.box = b;
  });
  frame.addEventListener('pointerup', () => {
    state.drag = null;
    if (state.box && (state.box.w < 4 || state.box.h < 4)) { state.box = null; $('box').hidden = true; }
    $('box-text').textContent = state.box ? `box ${imageBox().join(', ')}` : '';
  });
  $('clear-box').addEventListener('click', () => { state.box = null; $('box').hidden = true; $('box-text').textContent = ''; });

  function imageBox() {
    const img = $('photo');
    const sx = img.naturalWidth / img.clientWidth; const sy = img.naturalHeight / img.clientHeight;
    const b = state.box;
    const x = Math.round(b.x * sx); const y = Math.round(b.y * sy);
    return [x, y, Math.max(1, Math.min(Math.round(b.w * sx), img.naturalWidth - x)), Math.max(1, Math.min(Math.round(b.h * sy), img.naturalHeight - y))];
  }

  /** One inference: the joints and the skeleton as an SVG layer, in one JSON answer. */
  async function estimate() {
    const form = new FormData();
    form.append('image', state.file, state.file.name);
    if (state.box) form.append('bbox', imageBox().join(','));
    form.append('stages', $('stages').value || '1');
    const r = await fetch('/v1/pose?overlay=svg', { method: 'POST', body: form, headers: { Accept: 'application/json' } });
    if (!r.ok) {
      const j = await r.json().catch(() => ({ error: { message: `HTTP ${r.status}` } }));
      throw new Error(j.error ? j.error.message : `HTTP ${r.status}`);
    }
    return r.json();
  }

  const loadImage = (src) => new Promise((resolve, reject) => { const i = new Image(); i.onload = () => resolve(i); i.onerror = () => reject(new Error('could not draw the overlay')); i.src = src; });

  /** The photo with the skeleton layer drawn over it, at the photo's own size (CSS scales it to the page). */
  async function composite(photo, svg, width, height) {
    const canvas = document.createElement('canvas');
    canvas.width = width; canvas.height = height;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(photo, 0, 0, width, height);
    ctx.drawImage(await loadImage(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`), 0, 0, width, height);
    return new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  }

  function setBusy(busy) {
    state.busy = busy;
    $('estimate').disabled = busy;
    $('busy').hidden = !busy;
    $('input-panel').setAttribute('aria-busy', String(busy));
  }

  $('estimate').addEventListener('click', async () => {
    if (!state.file || state.busy) return;
    const file = state.file;
    setBusy(true);
    showError('');
    try {
      const pose = await estimate();
      if (file !== state.file) return; // another photo was chosen meanwhile
      const blob = await composite($('photo'), pose.overlaySvg, pose.imageSize.width, pose.imageSize.height);
      $('overlay').src = URL.createObjectURL(blob);
      const tbody = $('joints').querySelector('tbody');
      tbody.replaceChildren(...pose.joints.map((j) => {
        const tr = document.createElement('tr');
        [j.name, j.x.toFixed(1), j.y.toFixed(1)].forEach((t, i) => { const td = document.createElement('td'); td.textContent = t; if (i === 0) td.className = state.sides[j.name] || 'center'; tr.append(td); });
        return tr;
      }));
      $('timing').textContent = `Box used ${pose.boxPx.map(Math.round).join(', ')} · ${pose.stages} stage(s) · ${pose.timingsMs.total} ms`;
      $('result-panel').hidden = false;
    } catch (err) {
      showError(err.message);
    } finally {
      setBusy(false);
    }
  });
})();

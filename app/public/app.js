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
    if (m.personFinder) $('drag-hint').textContent = 'Drag on the photo to draw a box around the person (optional). Without a box the service looks for the person itself; a dragged box overrides the box it finds.';
  }).catch(() => { $('model-line').textContent = 'The model is still loading; reload in a moment.'; });

  /** Forgets the previous result (a new photo was chosen). */
  function clearResult() {
    $('result-panel').hidden = true;
    const old = $('overlay').src;
    $('overlay').removeAttribute('src');
    if (old && old.startsWith('blob:')) URL.revokeObjectURL(old);
    $('joints').querySelector('tbody').replaceChildren();
    $('timing').textContent = '';
    $('box-layer').replaceChildren();
    $('box-note').textContent = '';
  }

  const SVG = 'http://www.w3.org/2000/svg';
  const svgElement = (name, attrs) => { const e = document.createElementNS(SVG, name); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v)); return e; };

  /**
   * The person box over the overlay when the service found it itself: a
   * dashed rectangle labelled "found" in an SVG layer of the image's size
   * (it scales with the overlay), and a line saying what the box is and
   * that a dragged box overrides it.
   */
  function showBox(pose) {
    const { width, height } = pose.imageSize;
    const layer = $('box-layer');
    layer.setAttribute('viewBox', `0 0 ${width} ${height}`);
    layer.replaceChildren();
    const box = pose.boxPx.map(Math.round).join(', ');
    if (pose.boxSource === 'found') {
      const [x, y, w, h] = pose.boxPx;
      const fs = Math.max(10, Math.round(Math.min(width, height) / 22));
      layer.append(svgElement('rect', { id: 'found-box', x, y, width: w, height: h, fill: 'none', stroke: '#ffb000', 'stroke-width': 2, 'stroke-dasharray': '8 5', 'vector-effect': 'non-scaling-stroke' }));
      const label = svgElement('text', { id: 'found-label', x: x + 4, y: y >= fs + 2 ? y - 4 : y + fs, 'font-size': fs, 'font-family': 'sans-serif', fill: '#ffb000', stroke: '#000000', 'stroke-width': 0.6, 'paint-order': 'stroke' });
      label.textContent = 'found';
      layer.append(label);
      $('box-note').textContent = `Dashed box “found” (${box}): the service found the person by itself. Drag a box around the person on the photo to override it, then estimate again.`;
    } else if (pose.boxSource === 'whole') {
      $('box-note').textContent = 'No person box was found or given, so the whole image was used. Dragging a box around the person on the photo gives better results.';
    } else {
      $('box-note').textContent = `Box used: the one you dragged (${box}).`;
    }
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
      if (file !== state.file) return; // chosen while the overlay was drawn
      const old = $('overlay').src;
      $('overlay').src = URL.createObjectURL(blob);
      if (old && old.startsWith('blob:')) URL.revokeObjectURL(old);
      showBox(pose);
      const tbody = $('joints').querySelector('tbody');
      tbody.replaceChildren(...pose.joints.map((j) => {
        const tr = document.createElement('tr');
        [j.name, j.x.toFixed(1), j.y.toFixed(1)].forEach((t, i) => { const td = document.createElement('td'); td.textContent = t; if (i === 0) td.className = state.sides[j.name] || 'center'; tr.append(td); });
        return tr;
      }));
      $('timing').textContent = `Box used ${pose.boxPx.map(Math.round).join(', ')} (${pose.boxSource}) · ${pose.stages} stage(s) · ${pose.timingsMs.total} ms`;
      $('result-panel').hidden = false;
    } catch (err) {
      showError(err.message);
    } finally {
      setBusy(false);
    }
  });
})();

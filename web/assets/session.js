import { LivenessCheck } from '/sdk/livenessd.js';

const PARAMETERS = ['front', 'left', 'right', 'up', 'down', 'eyes open', 'eyes closed', 'mouth open', 'mouth closed'];
const DEFAULT_STEPS = ['front', 'left', 'right', 'down', 'up'];
const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);
let check = null;

// ---- the form, prefilled from the query (for automated tests):
// ?params=front,left&spoof=0&transport=websocket&step_timeout_ms=30000&autostart=1

function renderParams(chosen) {
  const order = [...chosen, ...PARAMETERS.filter((p) => !chosen.includes(p))];
  $('params').replaceChildren(...order.map((p) => {
    const li = document.createElement('li');
    const label = document.createElement('label');
    const box = Object.assign(document.createElement('input'), { type: 'checkbox', value: p, checked: chosen.includes(p) });
    label.append(box, ' ', p);
    const up = Object.assign(document.createElement('button'), { type: 'button', textContent: '↑', title: `Move ${p} up` });
    const down = Object.assign(document.createElement('button'), { type: 'button', textContent: '↓', title: `Move ${p} down` });
    up.setAttribute('aria-label', `Move ${p} up`);
    down.setAttribute('aria-label', `Move ${p} down`);
    up.onclick = () => { li.previousElementSibling?.before(li); up.focus(); };
    down.onclick = () => { li.nextElementSibling?.after(li); down.focus(); };
    li.append(label, up, down);
    return li;
  }));
}

function chosenParams() {
  return [...$('params').querySelectorAll('input:checked')].map((b) => b.value);
}

const fromQuery = (query.get('params') ?? '').split(',').map((s) => s.trim()).filter((p) => PARAMETERS.includes(p));
renderParams(fromQuery.length ? fromQuery : DEFAULT_STEPS);
if (query.get('spoof') === '0' || query.get('spoof') === 'false') $('spoof').checked = false;
if (['auto', 'webrtc', 'websocket'].includes(query.get('transport'))) $('transport').value = query.get('transport');
if (query.get('step_timeout_ms')) $('timeout').value = query.get('step_timeout_ms');

// ---- sessions: the demo endpoint stands in for the integrator's backend.

async function createSession() {
  const body = {
    trx_id: 'demo-' + Date.now(),
    face_parameters: chosenParams(),
    spoof_detection: $('spoof').checked,
    step_timeout_ms: Number($('timeout').value) || 8000,
  };
  const resp = await fetch('/demo/sessions', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const out = await resp.json().catch(() => ({}));
  log('session', resp.status, out.session_id ?? out.status_message ?? '');
  if (!resp.ok) {
    const err = new Error(out.status_message || `POST /demo/sessions: HTTP ${resp.status}`);
    err.status = resp.status;
    throw err;
  }
  return out;
}

// ---- the check

function log(...parts) {
  const line = `${new Date().toISOString().slice(11, 23)} ${parts.join(' ')}\n`;
  $('log').textContent = ($('log').textContent + line).split('\n').slice(-300).join('\n');
}

function resetResult() {
  const result = $('result');
  result.textContent = 'Running…';
  delete result.dataset.state;
  delete result.dataset.transport;
}

function start() {
  if (chosenParams().length === 0) {
    $('result').textContent = 'Tick at least one step.';
    return;
  }
  check?.destroy();
  resetResult();
  check = new LivenessCheck({ container: $('check'), createSession, transport: $('transport').value });
  check.addEventListener('start', () => { resetResult(); log('start'); });
  check.addEventListener('transport', (e) => { $('result').dataset.transport = e.detail.kind; log('transport', e.detail.kind); });
  check.addEventListener('prompt', (e) => log('prompt', e.detail.step, e.detail.parameter));
  check.addEventListener('feedback', (e) => log('feedback', e.detail.code, 'frame', e.detail.frame));
  check.addEventListener('step', (e) => log('step', e.detail.step, e.detail.passed ? 'passed' : 'failed'));
  check.addEventListener('error', (e) => {
    log('error', e.detail.code, e.detail.detail ?? e.detail.message);
    if (e.detail.fatal) $('result').textContent = JSON.stringify(e.detail, null, 2);
  });
  check.addEventListener('result', (e) => { $('result').textContent = JSON.stringify(e.detail.response, null, 2); });
  // Set last, so a test that waits for data-state finds the text already there.
  check.addEventListener('end', (e) => {
    if (!e.detail.result && e.detail.state !== 'error') $('result').textContent = JSON.stringify(e.detail, null, 2);
    $('result').dataset.state = e.detail.state;
    log('end', e.detail.state);
  });
  check.start();
}

$('setup').addEventListener('submit', (e) => { e.preventDefault(); start(); });
if (query.get('autostart') === '1') start();

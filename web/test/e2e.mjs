// Browser end-to-end test of the demo page (web/index.html) and the SDK
// (web/sdk/livenessd.js) against a running livenessd in demo mode (--dev).
//
// Chromium plays a video clip as its camera (--use-file-for-fake-video-capture),
// so each scenario launches its own browser. Scenarios:
//   defaults   headpose clip, the page exactly as it opens (5 steps, spoof
//              detection on, 8 s a step, transport auto = WebRTC) -> passed
//   websocket  headpose clip, 5 steps over WebSocket JPEGs        -> passed
//   print      printed-photo attack, spoof detection on           -> failed on
//              the session's presentation-attack verdict
//
// Setup (once): cd web/test && npm ci      (never `playwright install`: it
// downloads a browser; this uses the system's /usr/bin/chromium)
// Server: livenessd serve --dev --webrtc-allow-loopback (demo mode for
//         POST /demo/sessions; loopback ICE candidates for a browser on the same machine)
// Run:  LIVENESS_URL=http://127.0.0.1:8080 node web/test/e2e.mjs
// Env:  LIVENESS_URL   server base URL (default http://127.0.0.1:8080)
//       CLIP_HEADPOSE  .mjpeg or .y4m of a live person turning (default ../shared/testdata/video/live_selfie_headpose_480x640_15fps.mjpeg;
//                      browser_test.go passes a .y4m made from it at its own 15 fps, because Chromium plays an
//                      .mjpeg at 30 fps, twice as fast as filmed, which halves every head turn)
//       CLIP_PRINT     .mjpeg of a print attack (default ../shared/testdata/video/nuaa_print_0001_640x480_10fps.mjpeg)
//       OUT_DIR        where screenshots go (default $TMPDIR/livenessd-e2e)
//       CHROMIUM       browser binary (default /usr/bin/chromium)
//       SCENARIOS      comma-separated subset to run (default all)
// Prints one line per scenario and exits 1 when any fails (2 when it cannot run).

import { chromium } from 'playwright-core';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const testdata = join(repoRoot, '..', 'shared', 'testdata', 'video');
const BASE = (process.env.LIVENESS_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const CLIP_HEADPOSE = process.env.CLIP_HEADPOSE || join(testdata, 'live_selfie_headpose_480x640_15fps.mjpeg');
const CLIP_PRINT = process.env.CLIP_PRINT || join(testdata, 'nuaa_print_0001_640x480_10fps.mjpeg');
const OUT_DIR = process.env.OUT_DIR || join(tmpdir(), 'livenessd-e2e');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const RESULT_TIMEOUT_MS = 120_000;

const SCENARIOS = [
  {
    name: 'defaults',
    clip: CLIP_HEADPOSE,
    query: 'autostart=1',
    verify: (r) => expectPassed(r, 5, 'webrtc'),
  },
  {
    name: 'websocket',
    clip: CLIP_HEADPOSE,
    query: 'params=front,left,right,down,up&autostart=1&step_timeout_ms=30000&transport=websocket',
    verify: (r) => expectPassed(r, 5, 'websocket'),
  },
  {
    name: 'print',
    clip: CLIP_PRINT,
    query: 'params=front&spoof=1&transport=auto&autostart=1&step_timeout_ms=4000',
    verify: (r) => {
      if (r.state !== 'failed') return `state ${r.state}, want failed`;
      const reasons = (r.response?.reasons ?? []).join('; ');
      if (!reasons.includes('presentation attack')) return `reasons "${reasons}", want the session's PAD verdict`;
      if (!(r.response.session_spoof_score >= 0.5)) return `session_spoof_score ${r.response.session_spoof_score}`;
      return null;
    },
  },
];

// Returns null when the page shows a passed session of n passed steps over transport.
function expectPassed(r, n, transport) {
  if (r.state !== 'passed') return `state ${r.state}, want passed; ${summary(r.response)}`;
  if (r.transport !== transport) return `transport ${r.transport}, want ${transport}`;
  if (r.response?.liveness !== 'passed') return `liveness ${r.response?.liveness}, want passed`;
  const results = Object.values(r.response.results ?? {});
  if (results.length !== n) return `${results.length} results, want ${n}`;
  const failed = results.filter((x) => x.passed !== true).map((x) => x.face_parameter);
  if (failed.length) return `steps not passed: ${failed.join(', ')}`;
  return null;
}

function summary(response) {
  if (!response?.results) return JSON.stringify(response ?? null).slice(0, 300);
  return Object.values(response.results)
    .map((x) => `${x.face_parameter}=${x.passed ? 'ok' : (x.reasons ?? []).join('/') || 'no'}`)
    .join('; ');
}

function launchArgs(clip) {
  return [
    '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${clip}`,
    '--allow-loopback-in-peer-connection', // the server's candidates are on loopback here
  ];
}

async function runScenario(sc) {
  const t0 = Date.now();
  const errors = [];
  let browser;
  let page;
  let verdict;
  try {
    if (!existsSync(sc.clip)) throw new Error(`clip not found: ${sc.clip}`);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: launchArgs(sc.clip) });
    const context = await browser.newContext({ viewport: { width: 1000, height: 1200 } });
    page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
    await page.goto(`${BASE}/?${sc.query}`);
    await page.waitForSelector('#result[data-state]', { state: 'attached', timeout: RESULT_TIMEOUT_MS });
    const shown = await page.$eval('#result', (el) => ({
      state: el.dataset.state, transport: el.dataset.transport, text: el.textContent,
    }));
    let response = null;
    try { response = JSON.parse(shown.text); } catch { /* an error text: verify reports the state */ }
    verdict = sc.verify({ ...shown, response }) ?? null;
    if (verdict && !response) verdict += `; page shows: ${shown.text.slice(0, 300)}`;
  } catch (err) {
    verdict = err.name === 'TimeoutError'
      ? `no result within ${RESULT_TIMEOUT_MS / 1000} s`
      : String(err?.message ?? err).split('\n')[0];
    if (page) {
      const shown = await page.locator('.lvd-instruction').textContent({ timeout: 1000 }).catch(() => null);
      if (shown) verdict += `; the SDK shows "${shown}"`;
    }
  } finally {
    if (page) await page.screenshot({ path: join(OUT_DIR, `${sc.name}.png`), fullPage: true }).catch(() => {});
    await browser?.close().catch(() => {});
  }
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  if (!verdict) {
    console.log(`PASS ${sc.name} (${seconds} s)`);
    return true;
  }
  console.log(`FAIL ${sc.name}: ${verdict} (${seconds} s)`);
  for (const e of errors) console.log(`    ${e}`);
  return false;
}

async function main() {
  if (!existsSync(CHROMIUM)) {
    console.error(`e2e: no browser at ${CHROMIUM} (install Debian's chromium, or set CHROMIUM)`);
    return 2;
  }
  try {
    const resp = await fetch(`${BASE}/healthz`);
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
  } catch (err) {
    console.error(`e2e: livenessd is not reachable at ${BASE} (${err.cause?.code ?? err.message}); start it in demo mode (--dev) and set LIVENESS_URL`);
    return 2;
  }
  mkdirSync(OUT_DIR, { recursive: true });
  const only = (process.env.SCENARIOS || '').split(',').map((s) => s.trim()).filter(Boolean);
  const chosen = only.length ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;
  if (chosen.length === 0) {
    console.error(`e2e: SCENARIOS matches none of ${SCENARIOS.map((s) => s.name).join(', ')}`);
    return 2;
  }
  let failures = 0;
  for (const sc of chosen) if (!(await runScenario(sc))) failures++;
  console.log(`${chosen.length - failures} of ${chosen.length} scenarios passed; screenshots in ${OUT_DIR}`);
  return failures ? 1 : 0;
}

process.exitCode = await main();

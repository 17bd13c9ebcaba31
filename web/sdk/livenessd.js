// livenessd browser SDK: runs one interactive liveness check in a page.
//
// The integrator's backend creates a session (POST /liveness-api/sessions,
// with its access token) and hands the page {session_id, session_token,
// ws_url, ice_servers, ...}. This module opens the camera, streams it to
// livenessd over WebRTC (a video track plus the "liveness" data channel) or,
// as a fallback, over a WebSocket as JPEG frames, and shows the server's
// prompts. The protocol is docs/protocol.md; its messages are re-dispatched
// unchanged as events. Plain ES2022, no dependencies, no build step.
//
// The outcome shown here is for the user only: the backend must decide on
// GET /liveness-api/sessions/{id}, which the device cannot tamper with.

const CLIENT = 'livenessd-web/1.0';
const TRANSPORTS = ['auto', 'webrtc', 'websocket'];
const MAX_JPEG_WIDTH = 1280; // the server scales larger frames down anyway
const ICE_GATHER_TIMEOUT_MS = 3000; // non-trickle: send what is gathered by then
const FIRST_MESSAGE_TIMEOUT_MS = 8000; // WebRTC counts as failed without a message by then
const WS_CONNECT_TIMEOUT_MS = 10000;
const CANCEL_GRACE_MS = 2000; // wait this long for the server's result after "cancel"

// Texts for the problems a user can meet; each says what to do next.
const MESSAGES = {
  camera_denied: 'Camera access was denied. Allow the camera for this site in your browser settings, then press Retry.',
  camera_not_found: 'No camera was found. Connect a camera, then press Retry.',
  camera_in_use: 'The camera is being used by another app. Close that app, then press Retry.',
  camera_unsupported: 'This browser cannot use the camera on this page. Open it over https in an up-to-date browser.',
  camera_error: 'The camera could not be started. Press Retry.',
  camera_lost: 'The camera stopped. Check that it is connected, then press Retry.',
  connect_failed: 'Could not connect to the service. Check your network, then press Retry.',
  network: 'The connection was lost. Check your network, then press Retry.',
  expired: 'This check took too long. Press Retry to start again.',
  server_busy: 'The service is busy right now. Wait a moment, then press Retry.',
  server_stopped: 'The service stopped this check, perhaps to restart. Wait a moment, then press Retry.',
  session_error: 'The check could not be started. Press Retry.',
  protocol: 'Something went wrong while sending the video. Press Retry.',
  internal: 'Something went wrong. Press Retry.',
};

const RECONNECTING = 'The connection is interrupted. Waiting for it to come back…';

const OUTCOMES = {
  passed: 'Done. Thank you!',
  failed: 'The check did not pass. Press Retry to try again.',
  expired: MESSAGES.expired,
  cancelled: 'The check was cancelled.',
};

/** An error the user sees; `fallback` marks a WebRTC failure that a WebSocket may avoid. */
class CheckError extends Error {
  constructor(code, { fallback = false, status, detail, cause } = {}) {
    super(MESSAGES[code] ?? MESSAGES.internal, { cause });
    this.code = code;
    this.fallback = fallback;
    this.status = status;
    this.detail = detail;
  }
}

// Thrown (and swallowed) when a run was cancelled, retried or destroyed while it awaited.
const ABORTED = Symbol('aborted');

export class LivenessCheck extends EventTarget {
  #opts;
  #view;
  #state = 'idle'; // idle | starting | running | ended | destroyed
  #run = null; // the current attempt; each start() or retry() makes a new one
  #deviceId;
  #onDeviceChange = () => this.#refreshCameras();

  constructor(options = {}) {
    super();
    const { container, createSession, transport = 'auto' } = options;
    if (!(container instanceof Element)) throw new TypeError('LivenessCheck: options.container must be an element');
    if (typeof createSession !== 'function') throw new TypeError('LivenessCheck: options.createSession must be a function');
    if (!TRANSPORTS.includes(transport)) throw new TypeError(`LivenessCheck: transport must be one of ${TRANSPORTS.join(', ')}`);
    this.#opts = {
      ...options,
      transport,
      server: String(options.server ?? location.origin).replace(/\/+$/, ''),
      jpegFps: clamp(Number(options.jpegFps ?? 10), 1, 30),
      jpegQuality: clamp(Number(options.jpegQuality ?? 0.8), 0.1, 1),
    };
    this.#deviceId = options.deviceId || undefined;
    loadStylesheet(options.stylesheet);
    this.#view = new View(container, {
      cancel: () => this.cancel(),
      retry: () => this.retry(),
      camera: (id) => this.#switchCamera(id),
    });
    navigator.mediaDevices?.addEventListener?.('devicechange', this.#onDeviceChange);
  }

  /** idle | starting | running | ended | destroyed */
  get state() { return this.#state; }

  /** 'webrtc' or 'websocket' once connected, else null. */
  get transport() { return this.#run?.kind ?? null; }

  /** The cameras, as [{deviceId, label}]; labels are empty until the camera was allowed once. */
  static async cameras() {
    if (!navigator.mediaDevices?.enumerateDevices) return [];
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices
      .filter((d) => d.kind === 'videoinput')
      .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `Camera ${i + 1}` }));
  }

  /**
   * Opens the camera, asks createSession() for a session and connects.
   * Resolves once the check runs or has failed; failures are reported as
   * 'error' and 'end' events and in the UI, never as a rejection.
   */
  async start() {
    if (this.#state === 'destroyed') throw new Error('LivenessCheck: destroyed');
    if (this.#state === 'starting' || this.#state === 'running') return;
    const run = new Run();
    this.#run = run;
    this.#setState('starting');
    this.#view.begin();
    this.dispatchEvent(new CustomEvent('start', { detail: {} }));
    try {
      await this.#openCamera(run);
      await this.#connect(run);
    } catch (err) {
      if (err !== ABORTED && !run.ended) this.#fail(run, err);
    }
  }

  /** Asks the server to end the session as cancelled; the UI then offers Retry. */
  cancel() {
    const run = this.#run;
    if (!run || run.ended || run.cancelling) return;
    run.cancelling = true;
    if (!run.kind) return this.#endLocally(run, 'cancelled'); // nothing connected yet
    run.sendText({ type: 'cancel' });
    run.stopMedia(); // the user gave up: the camera goes off now
    this.#view.status('Cancelling…');
    run.later(CANCEL_GRACE_MS, () => this.#endLocally(run, 'cancelled'));
  }

  /** Ends the current attempt (if any) and starts again with a fresh session. */
  async retry() {
    if (this.#state === 'destroyed') throw new Error('LivenessCheck: destroyed');
    this.#abandon(this.#run);
    this.#state = 'idle';
    return this.start();
  }

  /** Stops everything and removes the UI. The object cannot be used again. */
  destroy() {
    if (this.#state === 'destroyed') return;
    this.#abandon(this.#run);
    navigator.mediaDevices?.removeEventListener?.('devicechange', this.#onDeviceChange);
    this.#view.remove();
    this.#setState('destroyed');
  }

  // ---- camera ----

  async #openCamera(run) {
    this.#view.status('Starting the camera…');
    if (!navigator.mediaDevices?.getUserMedia) throw new CheckError('camera_unsupported');
    let stream;
    try {
      stream = await getCamera(this.#deviceId);
    } catch (err) {
      // A remembered camera may be gone: any camera is better than none.
      if (!this.#deviceId || !['OverconstrainedError', 'NotFoundError'].includes(err?.name)) throw cameraError(err);
      stream = await getCamera(undefined).catch((e) => { throw cameraError(e); });
    }
    if (run.ended) { stopStream(stream); throw ABORTED; }
    this.#useStream(run, stream);
    await this.#view.show(stream);
    run.check();
    this.#refreshCameras(); // labels become readable once the camera is allowed
  }

  #useStream(run, stream) {
    const track = stream.getVideoTracks()[0];
    // 'detail' makes Chrome send full resolution from the first frame instead
    // of ramping up from 320x180 over ~10 s (measured, see WEBRTC.md).
    track.contentHint = 'detail';
    track.onended = () => this.#fail(run, new CheckError('camera_lost'));
    run.stream = stream;
    run.track = track;
    this.#deviceId = track.getSettings?.().deviceId ?? this.#deviceId;
  }

  async #switchCamera(deviceId) {
    this.#deviceId = deviceId || undefined;
    const run = this.#run;
    if (!run?.stream || run.ended) return; // used by the next start()
    // Stop the old camera first: some phones cannot open two at once.
    run.track.onended = null;
    stopStream(run.stream);
    try {
      const stream = await getCamera(this.#deviceId);
      if (run.ended) return stopStream(stream);
      this.#useStream(run, stream);
      // replaceTrack keeps the WebRTC session: no renegotiation needed.
      await run.sender?.replaceTrack(run.track);
      await this.#view.show(stream);
    } catch (err) {
      this.#fail(run, err instanceof CheckError ? err : cameraError(err));
    }
  }

  async #refreshCameras() {
    const list = await LivenessCheck.cameras().catch(() => []);
    if (this.#state !== 'destroyed') this.#view.cameras(list, this.#deviceId);
  }

  // ---- connecting ----

  async #connect(run) {
    const want = this.#opts.transport;
    const rtcAvailable = typeof RTCPeerConnection === 'function';
    let session = await this.#newSession(run);
    if (want === 'websocket' || (want === 'auto' && !rtcAvailable)) return this.#connectWebSocket(run, session);
    if (!rtcAvailable) throw new CheckError('connect_failed', { detail: 'this browser has no WebRTC' });
    try {
      await this.#connectWebRTC(run, session);
    } catch (err) {
      if (err === ABORTED || want !== 'auto' || !err?.fallback) throw err;
      console.info('livenessd: WebRTC failed, falling back to WebSocket:', err.detail ?? err.message);
      run.closePeer();
      // A session takes one connection in its life, and the failed WebRTC
      // attempt may have used it: the WebSocket needs a fresh session.
      session = await this.#newSession(run);
      await this.#connectWebSocket(run, session);
    }
  }

  async #newSession(run) {
    this.#view.status('Connecting…');
    let session;
    try {
      session = await this.#opts.createSession();
    } catch (err) {
      run.check();
      const status = Number(err?.status ?? err?.response?.status);
      throw new CheckError(status === 503 ? 'server_busy' : 'session_error', { status, detail: err?.message, cause: err });
    }
    run.check();
    if (!session?.session_id || !session?.session_token) {
      throw new CheckError('session_error', { detail: 'createSession() must return session_id and session_token' });
    }
    run.session = session;
    this.#view.steps(session.face_parameters?.length ?? 0);
    return session;
  }

  // Called once the transport is certain: from then on there is no fallback.
  #connected(run, kind, send) {
    run.kind = kind;
    run.sendText = send;
    this.#setState('running');
    this.#view.running();
    this.dispatchEvent(new CustomEvent('transport', { detail: { kind } }));
  }

  // Informational for the server's logs: who we are and the frame size sent.
  #hello(run, kind, send) {
    const { width, height } = kind === 'websocket'
      ? frameSize(this.#view.video.videoWidth, this.#view.video.videoHeight)
      : run.track?.getSettings?.() ?? {};
    send({ type: 'hello', client: CLIENT, ...(width && height ? { width, height } : {}) });
  }

  // WHIP-style and non-trickle: one POST carries the offer with all its ICE
  // candidates, the 201 answer carries the server's.
  async #connectWebRTC(run, session) {
    const pc = new RTCPeerConnection({ iceServers: session.ice_servers ?? [] });
    run.pc = pc;
    run.sender = pc.addTransceiver(run.track, { direction: 'sendonly', streams: [run.stream] }).sender;
    // The channel must exist before createOffer so the offer negotiates SCTP.
    const dc = pc.createDataChannel('liveness');
    run.dc = dc;
    const send = (msg) => { if (dc.readyState === 'open') dc.send(JSON.stringify(msg)); };
    let connected = false;
    const firstMessage = new Promise((resolve, reject) => {
      const lost = (why) => {
        if (!connected) reject(new CheckError('connect_failed', { fallback: true, detail: why }));
        else this.#disconnected(run, { detail: why });
      };
      dc.onopen = () => this.#hello(run, 'webrtc', send);
      dc.onmessage = (e) => {
        if (!connected) { connected = true; this.#connected(run, 'webrtc', send); resolve(); }
        this.#onText(run, e.data);
      };
      dc.onclose = () => lost('the data channel closed');
      run.signal.addEventListener('abort', () => reject(ABORTED), { once: true }); // cancel() settles start()
      pc.oniceconnectionstatechange = pc.onconnectionstatechange = () => {
        if (pc.iceConnectionState === 'failed' || pc.connectionState === 'failed') lost('ICE failed');
        // 'disconnected' often recovers by itself within seconds; say so rather than stay silent.
        else if (connected && pc.connectionState === 'disconnected') this.#view.feedback(RECONNECTING);
      };
    });
    firstMessage.catch(() => {}); // awaited below; this only silences an early rejection

    try {
      await pc.setLocalDescription(await pc.createOffer());
      await iceGathered(pc, ICE_GATHER_TIMEOUT_MS);
      run.check();
      const url = session.webrtc_url
        ?? `${this.#opts.server}/liveness-api/sessions/${encodeURIComponent(session.session_id)}/webrtc`;
      const sdp = await postOffer(url, session.session_token, pc.localDescription.sdp, run.signal);
      run.check();
      await pc.setRemoteDescription({ type: 'answer', sdp });
    } catch (err) {
      // A browser that cannot negotiate (codecs, a malformed answer) may still do WebSocket.
      if (err === ABORTED || err instanceof CheckError) throw err;
      throw new CheckError('connect_failed', { fallback: true, detail: `negotiation: ${err?.message ?? err}`, cause: err });
    }
    await withTimeout(firstMessage, FIRST_MESSAGE_TIMEOUT_MS,
      () => new CheckError('connect_failed', { fallback: true, detail: `no data channel message within ${FIRST_MESSAGE_TIMEOUT_MS} ms` }));
    run.check();
  }

  #connectWebSocket(run, session) {
    const ws = new WebSocket(wsURL(session, this.#opts.server));
    run.ws = ws;
    const send = (msg) => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg)); };
    return new Promise((resolve, reject) => {
      run.signal.addEventListener('abort', () => reject(ABORTED), { once: true }); // cancel() settles start()
      // Browsers hide a refusal's HTTP status (409, 410, ...): it reads as 1006.
      const timer = run.later(WS_CONNECT_TIMEOUT_MS, () => { ws.close(); reject(new CheckError('connect_failed')); });
      ws.onopen = () => {
        clearTimeout(timer);
        this.#hello(run, 'websocket', send);
        this.#connected(run, 'websocket', send);
        this.#startFrames(run, ws);
        resolve();
      };
      ws.onmessage = (e) => { if (typeof e.data === 'string') this.#onText(run, e.data); };
      ws.onclose = (e) => {
        clearTimeout(timer);
        if (!run.kind) reject(new CheckError('connect_failed', { detail: `closed ${e.code} before opening` }));
        else this.#disconnected(run, { code: e.code, detail: e.reason });
      };
    });
  }

  // The WebSocket carries JPEG frames drawn from the preview <video>. The
  // element's CSS mirror does not apply to drawImage, so the frames go out
  // unmirrored, as the protocol requires.
  #startFrames(run, ws) {
    const video = this.#view.video;
    const canvas = document.createElement('canvas');
    const ctx = canvas.getContext('2d', { alpha: false });
    let encoding = false;
    run.frameTimer = setInterval(() => {
      // Never queue more than one frame: a stale frame is worth less than
      // the next fresh one, and a queue only adds latency to the feedback.
      if (encoding || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > 0 || run.mediaStopped) return;
      if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || !video.videoWidth) return;
      const { width, height } = frameSize(video.videoWidth, video.videoHeight);
      if (canvas.width !== width || canvas.height !== height) Object.assign(canvas, { width, height });
      ctx.drawImage(video, 0, 0, width, height);
      encoding = true;
      canvas.toBlob((blob) => {
        encoding = false;
        if (blob && ws.readyState === WebSocket.OPEN && !run.mediaStopped) ws.send(blob);
      }, 'image/jpeg', this.#opts.jpegQuality);
    }, 1000 / this.#opts.jpegFps);
  }

  // ---- protocol messages ----

  #onText(run, text) {
    if (run.ended) return;
    let msg;
    try { msg = JSON.parse(text); } catch { return; }
    if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') return;
    switch (msg.type) {
      case 'prompt': this.#view.prompt(msg, stepTimeout(run.session, msg)); break;
      case 'feedback': this.#view.feedback(msg.message); break;
      case 'step': this.#view.step(msg); break;
      case 'result': return this.#finish(run, msg);
      case 'error': break; // bad_frame / bad_message are informational; expired and cancelled precede a result
      default: return; // later versions may add types: ignore them
    }
    this.dispatchEvent(new CustomEvent(msg.type, { detail: msg }));
  }

  #finish(run, msg) {
    run.ended = true;
    run.close();
    let text = OUTCOMES[msg.state] ?? `The check ended: ${msg.state}.`;
    // A "cancelled" the user did not ask for comes from a server shutdown.
    if (msg.state === 'cancelled' && !run.cancelling) text = MESSAGES.server_stopped;
    this.#view.end(msg.state, text);
    this.#setState('ended');
    this.dispatchEvent(new CustomEvent('result', { detail: msg }));
    this.dispatchEvent(new CustomEvent('end', { detail: { state: msg.state, result: msg } }));
  }

  // The connection ended without a result message.
  #disconnected(run, { code, detail }) {
    if (run.ended) return;
    if (run.cancelling) return this.#endLocally(run, 'cancelled');
    const byCode = { 1001: 'server_stopped', 4001: 'expired', 4002: 'cancelled', 1003: 'protocol', 1008: 'protocol', 1009: 'protocol' };
    const reason = byCode[code] ?? 'network';
    if (reason === 'expired' || reason === 'cancelled') return this.#endLocally(run, reason);
    this.#fail(run, new CheckError(reason, { detail: detail || (code ? `closed ${code}` : undefined) }));
  }

  // ---- ending ----

  #endLocally(run, state) {
    if (run.ended) return;
    run.ended = true;
    run.close();
    this.#view.end(state, OUTCOMES[state]);
    this.#setState('ended');
    this.dispatchEvent(new CustomEvent('end', { detail: { state } }));
  }

  #fail(run, err) {
    if (run.ended) return;
    run.ended = true;
    if (run.kind) run.sendText({ type: 'cancel' }); // end the session now, not at its expiry
    run.close();
    const e = err instanceof CheckError ? err : new CheckError('internal', { detail: String(err?.message ?? err), cause: err });
    if (e.code === 'internal') console.error('livenessd:', err);
    const detail = { type: 'error', code: e.code, message: e.message, fatal: true, ...(e.status ? { status: e.status } : {}), ...(e.detail ? { detail: e.detail } : {}) };
    this.#view.end('error', e.message);
    this.#setState('ended');
    this.dispatchEvent(new CustomEvent('error', { detail }));
    this.dispatchEvent(new CustomEvent('end', { detail: { state: 'error', code: e.code, message: e.message } }));
  }

  // Drops a run without a UI update (retry, destroy).
  #abandon(run) {
    if (!run || run.ended) return;
    run.ended = true;
    if (run.kind) run.sendText({ type: 'cancel' });
    run.close();
  }

  #setState(state) { this.#state = state; }
}

// One attempt: its camera, connections and timers, closed together.
class Run {
  #ctrl = new AbortController();
  #timers = new Set();
  ended = false;
  cancelling = false;
  mediaStopped = false;
  kind = null; // set when connected
  sendText = () => {};
  session = null;
  stream = null;
  track = null;
  pc = null;
  dc = null;
  sender = null;
  ws = null;
  frameTimer = null;

  get signal() { return this.#ctrl.signal; }

  /** Throws ABORTED when the run ended while its caller awaited. */
  check() { if (this.ended) throw ABORTED; }

  later(ms, fn) {
    const t = setTimeout(() => { this.#timers.delete(t); fn(); }, ms);
    this.#timers.add(t);
    return t;
  }

  stopMedia() {
    this.mediaStopped = true;
    clearInterval(this.frameTimer);
    if (this.track) this.track.onended = null;
    if (this.stream) stopStream(this.stream);
  }

  closePeer() {
    for (const obj of [this.dc, this.pc]) {
      if (!obj) continue;
      for (const k of ['onmessage', 'onclose', 'onopen', 'oniceconnectionstatechange', 'onconnectionstatechange']) obj[k] = null;
      obj.close();
    }
    this.dc = this.pc = this.sender = null;
  }

  close() {
    this.#ctrl.abort();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.stopMedia();
    this.closePeer();
    if (this.ws) {
      this.ws.onopen = this.ws.onmessage = this.ws.onclose = null;
      // Queued messages (a final "cancel") are still sent before the close frame.
      if (this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000);
      this.ws = null;
    }
  }
}

// ---- helpers ----

function clamp(n, lo, hi) { return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : lo; }

function getCamera(deviceId) {
  return navigator.mediaDevices.getUserMedia({
    audio: false,
    video: {
      facingMode: 'user',
      width: { ideal: 1280 },
      height: { ideal: 720 },
      ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
    },
  });
}

function stopStream(stream) { for (const t of stream.getTracks()) t.stop(); }

// getUserMedia's DOMException names, mapped to what the user can do about them.
function cameraError(err) {
  const code = {
    NotAllowedError: 'camera_denied', SecurityError: 'camera_denied', PermissionDeniedError: 'camera_denied',
    NotFoundError: 'camera_not_found', DevicesNotFoundError: 'camera_not_found', OverconstrainedError: 'camera_not_found',
    NotReadableError: 'camera_in_use', TrackStartError: 'camera_in_use', AbortError: 'camera_in_use',
  }[err?.name] ?? 'camera_error';
  return new CheckError(code, { detail: `${err?.name}: ${err?.message}`, cause: err });
}

/** The JPEG size for a video: native, capped at MAX_JPEG_WIDTH wide. */
function frameSize(w, h) {
  if (!w || !h) return { width: 0, height: 0 };
  const scale = Math.min(1, MAX_JPEG_WIDTH / w);
  return { width: Math.round(w * scale), height: Math.round(h * scale) };
}

function stepTimeout(session, prompt) {
  const ms = Number(session?.step_timeout_ms);
  if (ms > 0) return ms;
  // The deadline is on the server's clock; only a fallback for the countdown.
  const left = Number(prompt.deadline_ms) - Date.now();
  return left > 0 && left <= 60000 ? left : 0;
}

function wsURL(session, server) {
  const url = new URL(session.ws_url ?? `/liveness-api/sessions/${encodeURIComponent(session.session_id)}/ws`, server + '/');
  url.protocol = url.protocol.replace(/^http/, 'ws');
  url.searchParams.set('session_token', session.session_token);
  return url.href;
}

function iceGathered(pc, ms) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); pc.removeEventListener('icegatheringstatechange', onChange); resolve(); };
    const onChange = () => { if (pc.iceGatheringState === 'complete') done(); };
    const timer = setTimeout(done, ms);
    pc.addEventListener('icegatheringstatechange', onChange);
  });
}

async function postOffer(url, token, sdp, signal) {
  let resp;
  try {
    resp = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` },
      body: sdp,
      signal,
    });
  } catch (err) {
    if (signal.aborted) throw ABORTED;
    throw new CheckError('connect_failed', { fallback: true, detail: String(err?.message ?? err), cause: err });
  }
  if (resp.ok) return resp.text();
  const body = await resp.json().catch(() => ({}));
  const status = resp.status;
  // 401/404/409/410 say this session cannot be used, on any transport. A
  // server without the route (an older livenessd) is a reason to fall back.
  const sessionRefused = [401, 404, 409, 410].includes(status) && !/^no route/i.test(body.status_message ?? '');
  throw new CheckError(status === 503 ? 'server_busy' : 'session_error', {
    fallback: !sessionRefused, status, detail: `${status} ${body.status_message ?? resp.statusText}`,
  });
}

function withTimeout(promise, ms, makeError) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(makeError()), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function loadStylesheet(href) {
  if (href === false || typeof document === 'undefined') return;
  const url = new URL(href ?? './livenessd.css', import.meta.url).href;
  if ([...document.querySelectorAll('link[rel="stylesheet"]')].some((l) => l.href === url)) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = url;
  document.head.append(link);
}

// ---- the UI ----

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Creates an element; attrs go through setAttribute, children are nodes or text. */
function h(tag, attrs = {}, ...children) {
  const el = tag.startsWith('svg:') ? document.createElementNS(SVG_NS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== false) el.setAttribute(k, v === true ? '' : v);
  el.append(...children);
  return el;
}

// The SDK's DOM. Built with createElement and textContent only, so it works
// under a strict Content-Security-Policy and never interprets server text as HTML.
class View {
  constructor(container, actions) {
    this.video = h('video', { class: 'lvd-video', playsinline: true, muted: true, autoplay: true, 'aria-hidden': 'true' });
    this.video.muted = true; // the attribute alone does not mute a srcObject stream everywhere
    this.shade = h('svg:path', { class: 'lvd-guide-shade', 'fill-rule': 'evenodd' });
    this.oval = h('svg:ellipse', { class: 'lvd-guide-oval' });
    this.guide = h('svg:svg', { class: 'lvd-guide', 'aria-hidden': 'true', preserveAspectRatio: 'xMidYMid slice' }, this.shade, this.oval);
    this.timerBar = h('div', { class: 'lvd-timer-bar' });
    this.timer = h('div', { class: 'lvd-timer', hidden: true }, this.timerBar);
    this.stage = h('div', { class: 'lvd-stage' }, this.video, this.guide, this.timer);
    this.instruction = h('p', { class: 'lvd-instruction', 'aria-live': 'assertive', 'aria-atomic': 'true' });
    this.hint = h('p', { class: 'lvd-feedback', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
    this.stepText = h('p', { class: 'lvd-progress-text' });
    this.dots = h('ol', { class: 'lvd-steps' });
    this.select = h('select', { class: 'lvd-camera-select' });
    this.cameraBox = h('label', { class: 'lvd-camera', hidden: true }, h('span', {}, 'Camera'), this.select);
    this.cancelButton = h('button', { type: 'button', class: 'lvd-button lvd-cancel', hidden: true }, 'Cancel');
    this.retryButton = h('button', { type: 'button', class: 'lvd-button lvd-retry', hidden: true }, 'Retry');
    this.root = h('div', { class: 'lvd-root', 'data-lvd-state': 'idle' },
      this.stage, this.instruction, this.hint,
      h('div', { class: 'lvd-progress' }, this.stepText, this.dots),
      h('div', { class: 'lvd-actions' }, this.cameraBox, this.cancelButton, this.retryButton));
    this.cancelButton.addEventListener('click', actions.cancel);
    this.retryButton.addEventListener('click', actions.retry);
    this.select.addEventListener('change', () => actions.camera(this.select.value));
    this.layout(640, 480);
    container.append(this.root);
  }

  // Sizes the stage and the oval to the video, so the oval sits on the face
  // area of the picture whatever its orientation.
  layout(w, hgt) {
    this.root.style.setProperty('--lvd-ratio', String(w / hgt));
    this.guide.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
    const ry = hgt * 0.38;
    const rx = Math.min(ry * 0.75, w * 0.42);
    const [cx, cy] = [w / 2, hgt / 2];
    this.oval.setAttribute('cx', cx); this.oval.setAttribute('cy', cy);
    this.oval.setAttribute('rx', rx); this.oval.setAttribute('ry', ry);
    this.shade.setAttribute('d', `M0 0H${w}V${hgt}H0Z M${cx - rx} ${cy}a${rx} ${ry} 0 1 0 ${2 * rx} 0a${rx} ${ry} 0 1 0 ${-2 * rx} 0Z`);
  }

  async show(stream) {
    const v = this.video;
    v.srcObject = stream;
    if (v.readyState < HTMLMediaElement.HAVE_METADATA) {
      // Bounded: a camera that never delivers a picture must not hang start().
      await new Promise((resolve) => {
        v.addEventListener('loadedmetadata', resolve, { once: true });
        setTimeout(resolve, 5000);
      });
    }
    v.play().catch(() => {}); // muted inline video may autoplay; a refusal only freezes the preview
    if (v.videoWidth && v.videoHeight) this.layout(v.videoWidth, v.videoHeight);
    v.onresize = () => v.videoWidth && this.layout(v.videoWidth, v.videoHeight); // rotation, camera switch
  }

  setState(state) { this.root.dataset.lvdState = state; }

  begin() {
    this.setState('starting');
    this.hint.textContent = '';
    this.steps(0);
    this.stage.dataset.step = '';
    this.swapButtons(this.retryButton, this.cancelButton);
  }

  // Shows one button in place of the other; keyboard focus follows, as a
  // hidden button would otherwise drop it to the top of the page.
  swapButtons(from, to) {
    const hadFocus = document.activeElement === from;
    from.hidden = true;
    to.hidden = false;
    if (hadFocus) to.focus({ preventScroll: true });
  }

  running() { this.setState('running'); }

  status(text) { this.instruction.textContent = text; }

  steps(n) {
    this.dots.replaceChildren(...Array.from({ length: n }, (_, i) => this.dot(i + 1, 'pending')));
    this.stepText.textContent = '';
  }

  dot(n, state) {
    const label = { pending: 'not started', current: 'in progress', passed: 'passed', failed: 'failed' }[state];
    const mark = { passed: '✓', failed: '✕' }[state] ?? '';
    return h('li', { class: 'lvd-step', 'data-state': state }, h('span', { 'aria-hidden': 'true' }, mark),
      h('span', { class: 'lvd-sr' }, `Step ${n}: ${label}`));
  }

  markDot(n, state) {
    while (this.dots.children.length < n) this.dots.append(this.dot(this.dots.children.length + 1, 'pending'));
    this.dots.children[n - 1].replaceWith(this.dot(n, state));
  }

  prompt(msg, timeoutMs) {
    while (this.dots.children.length < msg.steps) this.dots.append(this.dot(this.dots.children.length + 1, 'pending'));
    this.markDot(msg.step, 'current');
    this.stepText.textContent = `Step ${msg.step} of ${msg.steps}`;
    this.instruction.textContent = msg.instruction ?? msg.parameter ?? '';
    this.hint.textContent = '';
    this.stage.dataset.step = '';
    this.countdown(timeoutMs);
  }

  feedback(text) {
    // Same text again: leave the live region alone rather than re-announce.
    if (text && this.hint.textContent !== text) this.hint.textContent = text;
  }

  step(msg) {
    this.markDot(msg.step, msg.passed ? 'passed' : 'failed');
    this.stage.dataset.step = msg.passed ? 'passed' : 'failed';
    this.hint.textContent = msg.passed ? '' : 'Time is up for this step.';
    this.countdown(0);
  }

  // A bar that shrinks over the step's time. One slow transition, no blinking.
  countdown(ms) {
    const bar = this.timerBar;
    bar.style.transition = 'none';
    bar.style.transform = 'scaleX(1)';
    this.timer.hidden = !(ms > 0);
    if (!(ms > 0)) return;
    void bar.offsetWidth; // commit the full bar before the transition starts
    bar.style.transition = `transform ${ms}ms linear`;
    bar.style.transform = 'scaleX(0)';
  }

  end(state, text) {
    this.setState(state === 'passed' ? 'passed' : state === 'error' ? 'error' : 'ended');
    this.root.dataset.lvdOutcome = state;
    this.countdown(0);
    this.instruction.textContent = text;
    if (state !== 'failed') this.hint.textContent = '';
    this.video.srcObject = null;
    this.swapButtons(this.cancelButton, this.retryButton);
  }

  cameras(list, current) {
    this.cameraBox.hidden = list.length < 2;
    const options = list.map((c) => h('option', { value: c.deviceId, selected: c.deviceId === current }, c.label));
    this.select.replaceChildren(...options);
    if (current) this.select.value = current;
  }

  remove() {
    this.video.srcObject = null;
    this.root.remove();
  }
}

// TypeScript declarations for the livenessd browser SDK (livenessd.js).
// Message shapes follow docs/protocol.md; unknown fields may be added by
// later server versions.

/** The face parameters a session can ask for. */
export type FaceParameter =
  | 'front' | 'left' | 'right' | 'up' | 'down'
  | 'eyes open' | 'eyes closed' | 'mouth open' | 'mouth closed';

/** A browser RTCIceServer, as the server hands it out. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** What createSession() resolves to: the answer of POST /liveness-api/sessions, passed on by your backend. */
export interface Session {
  session_id: string;
  session_token: string;
  /** WebSocket URL without the token; derived from `server` when absent. */
  ws_url?: string;
  /** WebRTC offer URL; `${server}/liveness-api/sessions/{id}/webrtc` when absent. */
  webrtc_url?: string;
  ice_servers?: IceServer[];
  /** The order the user will be asked in (renders the step markers early). */
  face_parameters?: FaceParameter[];
  /** Drives the per-step countdown bar. */
  step_timeout_ms?: number;
  [field: string]: unknown;
}

export interface LivenessCheckOptions {
  /** The element the SDK renders into. */
  container: Element;
  /**
   * Asks your backend for a new session. Called by start() and retry(), and a
   * second time when 'auto' falls back from WebRTC to WebSocket (a session
   * takes one connection in its life). Throw an error with `status: 503` to
   * have the user told that the service is busy.
   */
  createSession: () => Promise<Session>;
  /** Base URL of livenessd; default location.origin. */
  server?: string;
  /** 'auto' (default): WebRTC, falling back to WebSocket. */
  transport?: 'auto' | 'webrtc' | 'websocket';
  /** Camera to use; see LivenessCheck.cameras(). */
  deviceId?: string;
  /** Frames per second sent over the WebSocket fallback (1-30, default 10). */
  jpegFps?: number;
  /** JPEG quality for the WebSocket fallback (0.1-1, default 0.8). */
  jpegQuality?: number;
  /**
   * URL of the stylesheet, resolved against the module's URL (default
   * './livenessd.css'); false when the page loads the styles itself.
   */
  stylesheet?: string | false;
}

/** Result of one step: an entry of the batch response's results (schema ImageResult in /openapi.yaml). */
export interface ImageResult {
  face_parameter: FaceParameter;
  passed: boolean;
  face_detected?: boolean;
  faces?: number;
  box?: { x: number; y: number; width: number; height: number };
  match?: boolean;
  verified?: boolean;
  similarity?: number;
  masker?: boolean;
  masker_score?: number;
  spoof?: 'real' | 'spoof';
  spoof_score?: number;
  roll?: number;
  pitch?: number;
  yaw?: number;
  left_eye?: 'open' | 'closed';
  left_eye_score?: number;
  right_eye?: 'open' | 'closed';
  right_eye_score?: number;
  mouth?: 'open' | 'closed';
  mouth_score?: number;
  reasons?: string[];
  [field: string]: unknown;
}

export interface PromptMessage {
  type: 'prompt';
  step: number;
  steps: number;
  parameter: FaceParameter;
  instruction: string;
  deadline_ms: number;
}

export interface FeedbackMessage {
  type: 'feedback';
  step: number;
  code: 'no_face' | 'several_faces' | 'move_into_frame' | 'too_far' | 'too_dark' | 'not_yet' | 'hold_still' | string;
  message: string;
  frame: number;
}

export interface StepMessage {
  type: 'step';
  step: number;
  passed: boolean;
  frame?: number;
  /** Only when the backend created the session with device_results: true (demo mode does). */
  result?: ImageResult;
}

export type SessionState = 'passed' | 'failed' | 'expired' | 'cancelled';

export interface ResultMessage {
  type: 'result';
  session_id: string;
  state: SessionState;
  /**
   * Exactly the batch endpoint's response, only when the backend created the
   * session with device_results: true (demo mode does). Otherwise the device
   * learns passed or failed from state; the backend reads the full result
   * with GET /liveness-api/sessions/{id}.
   */
  response?: {
    status: string;
    status_message: string;
    liveness: 'passed' | 'failed';
    results: Record<string, ImageResult>;
    trx_id: string;
    success_threshold: number;
    passed_images: number;
    similarity_reference: 'gallery' | 'batch';
    [field: string]: unknown;
  };
}

/** A server 'error' message (protocol), or one of the SDK's own (fatal: true). */
export interface ErrorDetail {
  type: 'error';
  /**
   * Server: bad_frame, bad_message, expired, cancelled.
   * SDK (fatal): camera_denied, camera_not_found, camera_in_use,
   * camera_unsupported, camera_error, camera_lost, connect_failed, network,
   * expired, server_busy, server_stopped, session_error, protocol, internal.
   */
  code: string;
  /** Server: its English text. SDK: the text shown to the user, which says what to do. */
  message: string;
  /** Present (true) on the SDK's errors: the attempt has ended; the UI offers Retry. */
  fatal?: true;
  /** HTTP status, when an HTTP answer caused the error. */
  status?: number;
  /** Technical detail for logs. */
  detail?: string;
}

export interface TransportDetail {
  kind: 'webrtc' | 'websocket';
}

/** Sent once per attempt when it ends, however it ends. */
export interface EndDetail {
  /** A session state, or 'error' for a failure on this side (see code). */
  state: SessionState | 'error';
  /** The result message, when the server sent one. */
  result?: ResultMessage;
  /** With state 'error': the error's code and the text shown. */
  code?: string;
  message?: string;
}

export interface LivenessCheckEventMap {
  /** An attempt began (start() or retry()). */
  start: CustomEvent<Record<string, never>>;
  /** The transport is connected and committed (no fallback after this). */
  transport: CustomEvent<TransportDetail>;
  prompt: CustomEvent<PromptMessage>;
  feedback: CustomEvent<FeedbackMessage>;
  step: CustomEvent<StepMessage>;
  result: CustomEvent<ResultMessage>;
  error: CustomEvent<ErrorDetail>;
  end: CustomEvent<EndDetail>;
}

export type LivenessCheckState = 'idle' | 'starting' | 'running' | 'ended' | 'destroyed';

export class LivenessCheck extends EventTarget {
  constructor(options: LivenessCheckOptions);

  /** idle | starting | running | ended | destroyed */
  readonly state: LivenessCheckState;
  /** The transport of the current attempt once connected, else null. */
  readonly transport: 'webrtc' | 'websocket' | null;

  /** The cameras; labels are empty until the user has allowed the camera once. */
  static cameras(): Promise<Array<{ deviceId: string; label: string }>>;

  /**
   * Opens the camera, calls createSession() and connects. Resolves once the
   * check runs or has failed; failures arrive as 'error' and 'end' events and
   * in the UI, not as a rejection. Does nothing while an attempt runs.
   */
  start(): Promise<void>;
  /** Sends cancel; the server answers with a 'cancelled' result. The camera stops at once. */
  cancel(): void;
  /** Ends the current attempt and starts a new one with a fresh session. */
  retry(): Promise<void>;
  /** Stops the camera, closes connections and removes the UI. */
  destroy(): void;

  addEventListener<K extends keyof LivenessCheckEventMap>(
    type: K, listener: (this: LivenessCheck, ev: LivenessCheckEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof LivenessCheckEventMap>(
    type: K, listener: (this: LivenessCheck, ev: LivenessCheckEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions): void;
}

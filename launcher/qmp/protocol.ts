/** Wire shapes of the QEMU Machine Protocol (JSON objects, one per line). */

export interface QmpGreeting {
  QMP: {
    version: { qemu: { major: number; minor: number; micro: number }; package: string };
    capabilities: string[];
  };
}

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp: { seconds: number; microseconds: number };
}

export interface QmpSuccess {
  return: unknown;
  id?: unknown;
}

export interface QmpFailure {
  error: { class: string; desc: string };
  id?: unknown;
}

export type QmpMessage = QmpGreeting | QmpEvent | QmpSuccess | QmpFailure;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Classifies one parsed line; undefined when it is no QMP message at all. */
export function classify(
  msg: unknown,
):
  | { kind: 'greeting'; msg: QmpGreeting }
  | { kind: 'event'; msg: QmpEvent }
  | { kind: 'success'; msg: QmpSuccess }
  | { kind: 'failure'; msg: QmpFailure }
  | undefined {
  if (!isObject(msg)) return undefined;
  if (isObject(msg.QMP)) return { kind: 'greeting', msg: msg as unknown as QmpGreeting };
  if (typeof msg.event === 'string') return { kind: 'event', msg: msg as unknown as QmpEvent };
  if ('return' in msg) return { kind: 'success', msg: msg as unknown as QmpSuccess };
  if (isObject(msg.error) && typeof msg.error.class === 'string') {
    return { kind: 'failure', msg: msg as unknown as QmpFailure };
  }
  return undefined;
}

/** Results of the query commands the launcher uses. */
export interface QueryStatus {
  running: boolean;
  singlestep?: boolean;
  /** e.g. running, paused, shutdown, prelaunch, inmigrate, guest-panicked, internal-error, io-error */
  status: string;
}

export interface QueryCpuFast {
  'cpu-index': number;
  'qom-path': string;
  'thread-id': number;
  target: string;
}

export interface BlockStatsEntry {
  device?: string;
  qdev?: string;
  'node-name'?: string;
  stats: {
    rd_bytes: number;
    wr_bytes: number;
    rd_operations: number;
    wr_operations: number;
    flush_operations: number;
    rd_total_time_ns: number;
    wr_total_time_ns: number;
  };
}

export interface BalloonInfo {
  actual: number;
}

/** One entry of query-block: a drive (BlockBackend) and the node it reads. */
export interface BlockInfo {
  device: string;
  qdev?: string;
  inserted?: {
    'node-name': string;
    file?: string;
    image?: { 'virtual-size': number; 'actual-size'?: number; filename?: string };
  };
}

/** One entry of query-block-jobs (a disk mirror, for a migration). */
export interface BlockJobInfo {
  /** The job id. */
  device: string;
  type: string;
  len: number;
  offset: number;
  ready: boolean;
  status?: string;
  error?: string;
}

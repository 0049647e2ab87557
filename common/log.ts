/**
 * Structured logs for every virtkit component (controller, handler, launcher, api), through
 * pino. Off a terminal each line is one JSON object with KubeVirt's key names:
 *   {"level":"info","timestamp":"2026-12-01T10:00:00.000Z","component":"virtkit-controller",
 *    "msg":"...","kind":"VirtualMachine","namespace":"default","name":"web","uid":"..."}
 * so log pipelines built for KubeVirt parse them; on a terminal lines are human-readable.
 * Logs go to stderr (stdout stays for a command's output). The level comes from `--log-level`,
 * else VIRTKIT_LOG_LEVEL, else info.
 */
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** The component's name, in every line: virtkit-controller, virtkit-handler... */
  readonly component: string;
  /** @default `--log-level`'s value if given, else VIRTKIT_LOG_LEVEL, else info */
  readonly level?: string;
  /** @default stderr */
  readonly destination?: DestinationStream & { isTTY?: boolean };
  /** Human-readable lines instead of JSON. @default whether the destination is a terminal */
  readonly pretty?: boolean;
}

/** The level to use: the flag, else VIRTKIT_LOG_LEVEL, else info; an unknown name is an error. */
export function resolveLogLevel(flag?: string, env: NodeJS.ProcessEnv = process.env): LogLevel {
  const [value, origin] = flag
    ? [flag, '--log-level']
    : env.VIRTKIT_LOG_LEVEL
      ? [env.VIRTKIT_LOG_LEVEL, 'VIRTKIT_LOG_LEVEL']
      : ['info', ''];
  const level = value.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new Error(`${origin} ${value}: not a log level; use one of ${LOG_LEVELS.join(', ')}`);
  return level as LogLevel;
}

export function createLogger(options: LoggerOptions): Logger {
  const level = resolveLogLevel(options.level);
  const dest = options.destination ?? process.stderr;
  const pretty = options.pretty ?? Boolean(dest.isTTY);
  if (pretty) {
    // Loaded only for terminals: components off a terminal never pay for it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const prettyStream = require('pino-pretty') as (o: Record<string, unknown>) => DestinationStream;
    return pino(
      { level, base: { component: options.component } },
      prettyStream({
        destination: dest,
        sync: true,
        colorize: Boolean(dest.isTTY),
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'component',
        messageFormat: '{component}: {msg}',
      }),
    );
  }
  return pino(
    {
      level,
      base: { component: options.component },
      messageKey: 'msg',
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    dest === process.stderr || dest === process.stdout
      ? pino.destination({ fd: dest === process.stderr ? 2 : 1, sync: true })
      : dest,
  );
}

/** A logger that drops everything (unit tests, library use without a component). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

interface ObjectLike {
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string };
}

/** The object's identity under KubeVirt's log keys: kind, namespace, name, uid. */
export function objectFields(obj: ObjectLike, kind = obj.kind): Record<string, string> {
  const fields: Record<string, string> = {};
  if (kind) fields.kind = kind;
  if (obj.metadata?.namespace) fields.namespace = obj.metadata.namespace;
  if (obj.metadata?.name) fields.name = obj.metadata.name;
  if (obj.metadata?.uid) fields.uid = obj.metadata.uid;
  return fields;
}

/** kind, namespace and name from a work-queue key ("namespace/name"). */
export function keyFields(kind: string, key: string): Record<string, string> {
  const i = key.indexOf('/');
  return i < 0 ? { kind, name: key } : { kind, namespace: key.slice(0, i), name: key.slice(i + 1) };
}

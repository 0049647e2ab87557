/** Typed failures of the QMP client. Each names the VM (socket), the command and what to do. */

/** QEMU answered a command with `{"error": {...}}`. */
export class QmpCommandError extends Error {
  constructor(
    readonly command: string,
    /** QMP error class, e.g. GenericError, CommandNotFound, DeviceNotActive. */
    readonly errorClass: string,
    readonly description: string,
    /** The reply line exactly as QEMU sent it. */
    readonly raw: string,
  ) {
    super(`QMP command ${command} failed (${errorClass}): ${description}`);
    this.name = 'QmpCommandError';
  }
}

/** The connection closed (QEMU exited or the socket broke) before a reply or event arrived. */
export class QmpDisconnectedError extends Error {
  constructor(
    readonly socketPath: string,
    readonly command: string | undefined,
    override readonly cause?: Error,
  ) {
    super(
      `QMP connection to ${socketPath} closed${command ? ` while waiting for ${command}` : ''}` +
        `${cause ? `: ${cause.message}` : ''}; QEMU has probably exited (see its stderr and the launcher log)`,
    );
    this.name = 'QmpDisconnectedError';
  }
}

/** QEMU sent something that is not QMP (bad JSON, a reply without an id, a bad greeting). */
export class QmpProtocolError extends Error {
  constructor(
    readonly socketPath: string,
    readonly detail: string,
    readonly raw: string,
  ) {
    super(`QMP protocol error on ${socketPath}: ${detail} (line: ${raw.slice(0, 200)})`);
    this.name = 'QmpProtocolError';
  }
}

/** An awaited reply or event did not come in time. */
export class QmpTimeoutError extends Error {
  constructor(
    readonly socketPath: string,
    readonly waitingFor: string,
    readonly timeoutMs: number,
  ) {
    super(
      `QMP on ${socketPath}: no ${waitingFor} within ${timeoutMs} ms; the guest or QEMU is not responding`,
    );
    this.name = 'QmpTimeoutError';
  }
}

/**
 * Typed failures of the guest agent client. Each names the agent socket, the command and what
 * to check: an agent that does not answer is normal (the guest may run none), so callers can
 * tell "no agent" (timeout, unavailable) apart from a broken one (protocol, command errors);
 * answerIfSupported reads a command the agent refused as no answer.
 */

/** The agent socket could not be opened (QEMU not running, or the channel is missing). */
export class QgaUnavailableError extends Error {
  constructor(
    readonly socketPath: string,
    override readonly cause?: Error,
  ) {
    super(
      `guest agent socket ${socketPath} cannot be opened${cause ? ` (${cause.message})` : ''}; ` +
        'QEMU is not running or has no org.qemu.guest_agent.0 channel',
    );
    this.name = 'QgaUnavailableError';
  }
}

/** Nothing answered in time: no agent runs in the guest, or the guest is paused or busy. */
export class QgaTimeoutError extends Error {
  constructor(
    readonly socketPath: string,
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(
      `guest agent on ${socketPath}: no answer to ${command} within ${timeoutMs} ms; ` +
        'start an agent (qemu-guest-agent) in the guest, or check that the guest is running',
    );
    this.name = 'QgaTimeoutError';
  }
}

/** The agent answered a command with `{"error": {...}}`. */
export class QgaCommandError extends Error {
  constructor(
    readonly socketPath: string,
    readonly command: string,
    /** QAPI error class, e.g. CommandNotFound, GenericError. */
    readonly errorClass: string,
    readonly description: string,
    /** The reply line as the agent sent it. */
    readonly raw: string,
  ) {
    super(
      `guest agent on ${socketPath}: ${command} failed (${errorClass}): ${description}; ` +
        'the agent in the guest may be too old or have the command disabled',
    );
    this.name = 'QgaCommandError';
  }
}

/** The connection closed before the answer arrived. */
export class QgaDisconnectedError extends Error {
  constructor(
    readonly socketPath: string,
    readonly command: string | undefined,
  ) {
    super(
      `guest agent socket ${socketPath} closed${command ? ` while waiting for ${command}` : ''}; ` +
        'QEMU has probably stopped',
    );
    this.name = 'QgaDisconnectedError';
  }
}

/** The agent sent a line that is not a reply (bad JSON, neither return nor error). */
export class QgaProtocolError extends Error {
  constructor(
    readonly socketPath: string,
    readonly command: string,
    readonly raw: string,
  ) {
    super(
      `guest agent on ${socketPath}: the answer to ${command} is not a guest agent reply ` +
        `(line: ${raw.slice(0, 200)}); the agent in the guest is misbehaving`,
    );
    this.name = 'QgaProtocolError';
  }
}

/**
 * The answer to a command, or undefined when the agent answered it with an error (a command it
 * does not have or has disabled: KubeVirt reports only what the agent supports); any other
 * failure (no agent, a broken one) is thrown.
 */
export async function answerIfSupported<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof QgaCommandError) return undefined;
    throw e;
  }
}

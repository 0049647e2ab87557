/**
 * Typed errors of local mode. Each names what failed, the value involved and what to do about
 * it, so `virtkit up` can print the message as it is.
 */

/** Base class: every local-mode failure is one of these, so callers can tell them apart. */
export class LocalModeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A loopback port we were asked to use is held by another process. */
export class PortInUseError extends LocalModeError {
  constructor(
    readonly component: string,
    readonly port: number,
  ) {
    super(
      `${component}: port ${port} on 127.0.0.1 is already in use by another process; ` +
        `stop that process or choose another port (or leave the port unset to pick a free one)`,
    );
  }
}

/** A control-plane binary is not where we looked for it. */
export class MissingBinaryError extends LocalModeError {
  constructor(
    readonly binary: string,
    readonly searched: readonly string[],
    readonly fix: string,
  ) {
    super(`${binary}: no executable found (looked in ${searched.join(', ')}); ${fix}`);
  }
}

/** A component exited while we were starting it or waiting for it to become healthy. */
export class ComponentExitedError extends LocalModeError {
  constructor(
    readonly component: string,
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly logFile: string,
    readonly logTail: string,
  ) {
    const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
    super(`${component} ${how} during start-up; its log is ${logFile}. Last lines:\n${logTail}`);
  }
}

/** A component kept running but never reported healthy in time. */
export class ComponentNotReadyError extends LocalModeError {
  constructor(
    readonly component: string,
    readonly url: string,
    readonly timeoutMs: number,
    readonly lastProblem: string,
    readonly logFile: string,
  ) {
    super(
      `${component} did not become healthy at ${url} within ${Math.round(timeoutMs / 1000)}s ` +
        `(last answer: ${lastProblem}); see ${logFile}`,
    );
  }
}

/** `up` found a control plane of the same state folder still running. */
export class AlreadyRunningError extends LocalModeError {
  constructor(
    readonly stateDir: string,
    readonly pids: readonly number[],
  ) {
    super(
      `a local control plane is already running from ${stateDir} (pids ${pids.join(', ')}); ` +
        `run 'virtkit down' first, or 'virtkit status' to see it`,
    );
  }
}

/** An external tool we shell out to (openssl) failed. */
export class ToolFailedError extends LocalModeError {
  constructor(
    readonly tool: string,
    readonly args: readonly string[],
    readonly output: string,
  ) {
    super(`${tool} ${args.join(' ')} failed: ${output.trim() || '(no output)'}`);
  }
}

/** A CRD was refused by the API server or did not become Established. */
export class CrdInstallError extends LocalModeError {
  constructor(readonly failures: readonly { name: string; message: string }[]) {
    super(
      `${failures.length} CustomResourceDefinition(s) were not installed:\n` +
        failures.map((f) => `  ${f.name}: ${f.message}`).join('\n'),
    );
  }
}

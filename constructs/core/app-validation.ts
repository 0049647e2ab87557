/**
 * App-level validation: checks that look across every construct of an app (a Multus
 * reference to a NAD defined in another namespace, a snapshot of a VM the app does not
 * define...). Constructs register checks with `AppValidation.of(this).addCheck(...)`; one
 * hidden construct at the root of the app runs them all when cdk8s validates the app.
 * Errors fail `synth`; warnings are printed with the construct path and never fail it.
 */
import { Construct, type IConstruct } from 'constructs';
import { printable } from '../../api/validation/printable';

/** How bad an app-level finding is. */
export enum AppIssueSeverity {
  /** Synth fails. */
  ERROR = 'error',
  /** Printed at synth; synth goes on (for example: the object may live outside the app). */
  WARNING = 'warning',
}

/** One finding of an app-level check. */
export interface AppIssue {
  /** The construct the finding is about; its path starts the message. */
  readonly construct: IConstruct;
  /** JSON path inside the manifest of that construct, for example `spec.template.spec.networks[1]`; empty when the whole object is meant. */
  readonly path: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
  /** error fails synth; warning is printed only. */
  readonly severity: AppIssueSeverity;
}

/** A check over the whole app. */
export interface IAppCheck {
  /** Stable identifier; a check registered twice under one id runs once. */
  readonly id: string;
  /** Every finding for the app whose root is `root`; must not throw on odd input. */
  check(root: IConstruct): AppIssue[];
}

/** `<construct path>: <json path>: <message>`, the one format every virtkit construct reports in. */
export function formatFinding(constructPath: string, jsonPath: string, message: string): string {
  // KubeVirt's own messages often start with the path already; say it once. Names and values
  // from the object come out with control characters escaped: a hostile one cannot forge a
  // line of synth's report or repaint the terminal.
  if (!jsonPath || message.startsWith(jsonPath)) return printable(`${constructPath}: ${message}`);
  return printable(`${constructPath}: ${jsonPath}: ${message}`);
}

/** Receives warnings; the default prints them to stderr. */
export interface IWarningSink {
  warn(text: string): void;
}

const STDERR_SINK: IWarningSink = {
  warn: (text) => process.stderr.write(`warning: ${text}\n`),
};

const ID = 'VirtkitAppValidation';

/** The root-level construct that holds and runs the app checks (one per app). */
export class AppValidation extends Construct {
  /** The AppValidation of the app that `scope` belongs to, created on first use. */
  public static of(scope: IConstruct): AppValidation {
    const root = scope.node.root;
    const existing = root.node.tryFindChild(ID);
    if (existing instanceof AppValidation) return existing;
    return new AppValidation(root as Construct, ID);
  }

  /** Where warnings go; replace it to collect them (tests, custom reporters). */
  public warningSink: IWarningSink = STDERR_SINK;

  private readonly checks = new Map<string, IAppCheck>();
  private readonly reported = new Set<string>();

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.node.addValidation({ validate: () => this.runChecks() });
  }

  /** Register a check; a second check with the same id is ignored. */
  public addCheck(check: IAppCheck): void {
    if (!this.checks.has(check.id)) this.checks.set(check.id, check);
  }

  /** Ids of the registered checks, in registration order. */
  public get checkIds(): string[] {
    return [...this.checks.keys()];
  }

  /** Report a warning (printed once per app, however often validation runs). */
  public warn(text: string): void {
    if (this.reported.has(text)) return;
    this.reported.add(text);
    this.warningSink.warn(text);
  }

  /** Every distinct warning reported in this app so far, formatted. */
  public get warnings(): string[] {
    return [...this.reported];
  }

  /** Run every check now: errors as formatted strings; warnings go to the sink. */
  public runChecks(): string[] {
    const errors: string[] = [];
    for (const check of this.checks.values()) {
      for (const issue of check.check(this.node.root)) {
        const text = formatFinding(issue.construct.node.path, issue.path, issue.message);
        if (issue.severity === AppIssueSeverity.WARNING) this.warn(text);
        else errors.push(text);
      }
    }
    return errors;
  }
}

/** Result of validating a whole app without synthesizing it. */
export interface AppValidationReport {
  /** Formatted errors (`[path] message` lines as cdk8s prints them). */
  readonly errors: string[];
  /** Formatted warnings. */
  readonly warnings: string[];
}

/**
 * Validate every construct of the app (their own validations and the app checks) and
 * return errors and warnings instead of throwing; `app.synth()` runs the same validations.
 */
export function validateApp(scope: IConstruct): AppValidationReport {
  // App-level checks live on the root; a chart passed here still validates the whole app.
  const root = scope.node.root;
  const appValidation = AppValidation.of(root);
  const errors: string[] = [];
  for (const c of root.node.findAll()) {
    for (const message of c.node.validate()) errors.push(`[${c.node.path}] ${message}`);
  }
  return { errors, warnings: appValidation.warnings };
}

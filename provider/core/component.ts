/**
 * The base of every virtkit component (DESIGN habit 2): one `virtkit:index:<Name>` token,
 * children created with `{ parent: this }` and named from the component's name, bad input
 * reported as a `pulumi.ResourceError` that names the component and the field, and
 * `registerOutputs` always called (through `done`).
 */
import * as pulumi from '@pulumi/pulumi';
import { formatIssues, issueText, validateAs, type Issue, type KindDefinition } from '../../api';
import { checkAwaitOptions, type AwaitOptions } from './readiness';
import { isPlain, resolve, type DeepInput, type ObjectResourceOptions } from './inputs';

export const TOKEN_PREFIX = 'virtkit:index:';

/** `virtkit:index:VirtualMachine` for `VirtualMachine`. */
export function componentToken(typeName: string): string {
  return `${TOKEN_PREFIX}${typeName}`;
}

/** `issue` with its path under `at` (`vms.web` + `spec.runStrategy`); `issue` itself when `at` is empty. */
export function atPath(at: string, issue: Issue): Issue {
  if (!at) return issue;
  return { ...issue, path: issue.path ? `${at}.${issue.path}` : at };
}

export abstract class VirtkitComponent extends pulumi.ComponentResource {
  /** The token's last part, `VirtualMachine`. */
  readonly typeName: string;
  /** The name the program gave this component; children and default object names derive from it. */
  readonly componentName: string;

  protected constructor(typeName: string, name: string, opts?: pulumi.ComponentResourceOptions) {
    super(componentToken(typeName), name, {}, opts);
    this.typeName = typeName;
    this.componentName = name;
  }

  /** `virtkit:index:Instancetype "small"`, the subject of every message about this component. */
  get subject(): string {
    return `${componentToken(this.typeName)} "${this.componentName}"`;
  }

  /** The name of a child: the component's own name, or `<name>-<suffix>` for further children. */
  childName(suffix?: string): string {
    return suffix ? `${this.componentName}-${suffix}` : this.componentName;
  }

  /** Options every child gets: parented to this component, plus what the program passed through. */
  childOptions(extra: ObjectResourceOptions = {}): pulumi.CustomResourceOptions {
    return { ...extra, parent: this };
  }

  /**
   * A ResourceError for these problems, listing every one of them with its field path; `at`
   * prefixes each path, for a component that creates several objects (`vms.web`).
   */
  invalidInput(issues: readonly Issue[], at = ''): pulumi.ResourceError {
    return new pulumi.ResourceError(
      formatIssues(
        this.subject,
        issues.map((i) => atPath(at, i)),
      ),
      this,
    );
  }

  /** The problems with the await options, as issues (none when they are usable). */
  awaitIssues(options: AwaitOptions | undefined): Issue[] {
    return checkAwaitOptions(options ?? {}).map(([path, message]) => ({
      path,
      message,
      severity: 'error',
      rule: 'await',
    }));
  }

  /**
   * Render the manifest from the inputs and validate it against the kind's schema and rules.
   * When the inputs are plain values this happens now, and bad input throws from the
   * constructor; when they hold outputs it happens once they resolve (at preview when they
   * are known), and bad input fails the output with the same ResourceError. `at` prefixes the
   * issues' paths (invalidInput). For this component's own objects only.
   */
  renderChecked<I, M>(
    def: KindDefinition,
    inputs: DeepInput<I>,
    render: (plain: I) => M,
    at = '',
  ): pulumi.Output<M> {
    const renderAndCheck = (plain: I): M => this.renderValidated(def, plain, render, at);
    if (isPlain(inputs)) return pulumi.output(renderAndCheck(inputs as I)) as unknown as pulumi.Output<M>;
    return resolve<I>(inputs).apply(renderAndCheck) as unknown as pulumi.Output<M>;
  }

  /** renderChecked for plain inputs: the validated manifest now, or the ResourceError thrown. */
  renderValidated<I, M>(def: KindDefinition, plain: I, render: (plain: I) => M, at = ''): M {
    const manifest = render(plain);
    const errors = validateAs(def, manifest).filter((i) => i.severity === 'error');
    if (errors.length) throw this.invalidInput(errors, at);
    return manifest;
  }

  /**
   * `manifest` once `check` has passed it: a check of what validation cannot see from the input
   * alone (the cluster, the program's other components), run when the manifest is known, at
   * preview as at up. Its warnings are logged against the component; its errors fail the output
   * with the same ResourceError as validation's. `at` prefixes the issues' paths.
   */
  checkedBy<M>(
    manifest: pulumi.Output<M>,
    check: (manifest: M) => Promise<readonly Issue[]> | readonly Issue[],
    at = '',
  ): pulumi.Output<M> {
    return manifest.apply(async (m) => {
      const issues = await check(m);
      for (const w of issues.filter((i) => i.severity === 'warning'))
        pulumi.log.warn(`${this.subject}: ${issueText(atPath(at, w))}`, this);
      const errors = issues.filter((i) => i.severity === 'error');
      if (errors.length) throw this.invalidInput(errors, at);
      return m;
    });
  }

  /** Register the component's outputs; every component ends its constructor with this. */
  protected done(outputs: pulumi.Inputs): void {
    this.registerOutputs(outputs);
  }
}

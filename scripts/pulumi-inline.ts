/**
 * `npm run pulumi -- up|preview|refresh|destroy ...` for a `runtime: nodejs` project on a machine
 * without the Node.js language host (`pulumi-language-nodejs`, whose Go module is not served
 * here): the real CLI engine runs the project's program through Pulumi's Automation API, whose
 * inline programs run in this process's own language host. What the CLI prints is printed;
 * the exit code is the CLI's. scripts/pulumi.sh sends only these verbs here, and only when the
 * project is `runtime: nodejs` and no language host is on PATH; everything else goes to the CLI.
 *
 * The program is the project's entry point as Pulumi's Node.js host finds it (`main` in
 * Pulumi.yaml, else package.json's `main`, else index.ts / index.js), TypeScript through
 * ts-node with the project's tsconfig.json; its exports are the stack's outputs (a default
 * export that is a function is called and its result used). `@pulumi/pulumi` always resolves to
 * this repository's copy, the one the Automation API runs, so a project with its own copy works;
 * packages the project lacks come from this repository's node_modules, and `virtkit/<entry>`,
 * when the project has no virtkit package, from this repository's sources.
 */
import * as fs from 'fs';
import Module from 'module';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { Command, CommanderError, Option } from 'commander';
import {
  LocalWorkspace,
  PulumiCommand,
  type EngineEvent,
  type OpType,
  type PropertyDiff,
  Stack,
} from '@pulumi/pulumi/automation';

const VERBS: Record<string, 'up' | 'preview' | 'refresh' | 'destroy'> = {
  up: 'up',
  update: 'up',
  preview: 'preview',
  pre: 'preview',
  refresh: 'refresh',
  destroy: 'destroy',
  down: 'destroy',
};

interface Flags {
  cwd?: string;
  stack?: string;
  yes?: boolean;
  diff?: boolean;
  json?: boolean;
  skipPreview?: boolean;
  refresh?: boolean;
  message?: string;
  target?: string[];
  parallel?: string;
  expectNoChanges?: boolean;
  color?: 'always' | 'never' | 'raw' | 'auto';
}

class UsageError extends Error {}

/** This repository (scripts/..). */
const REPO = path.resolve(__dirname, '..');

/** The project's entry file, as Pulumi's Node.js language host picks it. */
export function entryPoint(dir: string, main: string | undefined): string {
  const candidates: string[] = [];
  if (main) candidates.push(main);
  else {
    const pkg = path.join(dir, 'package.json');
    const pkgMain = fs.existsSync(pkg)
      ? (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { main?: unknown }).main
      : undefined;
    if (typeof pkgMain === 'string') candidates.push(pkgMain);
    candidates.push('index.ts', 'index.js');
  }
  for (const c of candidates) {
    const full = path.resolve(dir, c);
    // `main` may name a folder: its index, as Node resolves it.
    for (const f of [
      full,
      `${full}.ts`,
      `${full}.js`,
      path.join(full, 'index.ts'),
      path.join(full, 'index.js'),
    ])
      if (fs.existsSync(f) && fs.statSync(f).isFile()) return f;
  }
  throw new UsageError(
    `no program in ${dir}: ${main ? `Pulumi.yaml main ${JSON.stringify(main)} names no file` : 'no package.json main, index.ts or index.js'}; write one or set main in Pulumi.yaml`,
  );
}

/**
 * `@pulumi/pulumi` (and its subpaths) from this repository, whatever the project has; any other
 * package the project does not have itself (`@pulumi/kubernetes`, say) from this repository's
 * node_modules too, as NODE_PATH does: after the project's own.
 */
function resolveFromVirtkit(): void {
  const own = path.dirname(require.resolve('@pulumi/pulumi/package.json'));
  const m = Module as unknown as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
    _initPaths: () => void;
  };
  const modules = path.resolve(own, '../..');
  process.env.NODE_PATH = [modules, process.env.NODE_PATH].filter(Boolean).join(path.delimiter);
  m._initPaths();
  const original = m._resolveFilename;
  m._resolveFilename = function (request: string, ...rest: unknown[]) {
    if (request === '@pulumi/pulumi' || request.startsWith('@pulumi/pulumi/'))
      return original.call(this, own + request.slice('@pulumi/pulumi'.length), ...rest);
    try {
      return original.call(this, request, ...rest);
    } catch (e) {
      // `virtkit/<entry>` in a program with no virtkit package of its own (the repository's
      // examples): this repository's sources, as its typecheck and jest map the name.
      const entry = /^virtkit\/([a-z]+)$/.exec(request)?.[1];
      if (entry && fs.existsSync(path.join(REPO, entry, 'index.ts')))
        return original.call(this, path.join(REPO, entry), ...rest);
      throw e;
    }
  };
}

function program(entry: string, dir: string): () => Promise<Record<string, unknown>> {
  return async () => {
    const project = path.join(dir, 'tsconfig.json');
    // TypeScript: with the project's tsconfig.json when it has one; else with virtkit's, which
    // scripts/pulumi.sh registered ts-node with to run this file.
    if (entry.endsWith('.ts') && fs.existsSync(project))
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require('ts-node') as typeof import('ts-node')).register({ transpileOnly: true, project });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(entry) as Record<string, unknown> & { default?: unknown };
    if (typeof mod.default === 'function') {
      const out = (await (mod.default as () => unknown)()) as Record<string, unknown> | undefined;
      return out ?? {};
    }
    return { ...mod };
  };
}

/** The preview as `pulumi preview --json` lays it out: steps, diagnostics, change summary. */
interface JsonStep {
  op: OpType;
  urn: string;
  type: string;
  diffReasons?: string[];
  replaceReasons?: string[];
  detailedDiff?: Record<string, { kind: PropertyDiff['diffKind']; inputDiff: boolean }>;
}

async function run(argv: string[]): Promise<number> {
  const cmd = new Command('pulumi')
    .exitOverride()
    .argument('<verb>', 'up | preview | refresh | destroy (and their aliases)')
    .option('-C, --cwd <dir>', 'run in this project directory')
    .option('-s, --stack <name>', 'the stack to operate on')
    .option('-y, --yes', 'skip the confirmation (required: this runner is never interactive)')
    .option('--diff', 'display operation as a rich diff')
    .option('-j, --json', 'print the preview as JSON (preview only)')
    .option('-f, --skip-preview', 'do not preview before up, refresh or destroy')
    .option('-r, --refresh', 'refresh the state before up, preview or destroy')
    .option('-m, --message <text>', 'message of the update')
    .option('-t, --target <urn...>', 'only these resources')
    .option('-p, --parallel <n>', 'resource operations run in parallel')
    .option('--expect-no-changes', 'fail when the operation would change anything')
    .addOption(new Option('--color <mode>', 'colorize output').choices(['always', 'never', 'raw', 'auto']))
    .option('--non-interactive', 'accepted: this runner is never interactive')
    .allowExcessArguments(false);
  cmd.parse(argv, { from: 'user' });
  const verbArg = cmd.args[0];
  const verb = VERBS[verbArg];
  if (!verb)
    throw new UsageError(
      `${verbArg} is not run through the Automation API; scripts/pulumi.sh runs it with the CLI`,
    );
  const flags = cmd.opts<Flags>();
  const dir = path.resolve(flags.cwd ?? process.cwd());
  const projectFile = ['Pulumi.yaml', 'Pulumi.yml']
    .map((f) => path.join(dir, f))
    .find((f) => fs.existsSync(f));
  if (!projectFile) throw new UsageError(`no Pulumi.yaml in ${dir}; pass --cwd DIR of a Pulumi project`);
  const project = parseYaml(fs.readFileSync(projectFile, 'utf8')) as { name?: unknown; main?: unknown };
  if (typeof project.name !== 'string' || project.name === '')
    throw new UsageError(`${projectFile}: name is required; give the project a name`);
  if (verb !== 'preview' && !flags.yes && !flags.skipPreview)
    throw new UsageError(
      `--yes must be passed in to proceed when running in non-interactive mode (pulumi ${verbArg} runs through the Automation API here)`,
    );
  const entry = entryPoint(dir, typeof project.main === 'string' ? project.main : undefined);
  resolveFromVirtkit();

  // scripts/pulumi.sh links the built CLI under VIRTKIT_PULUMI_ROOT/bin; else the one on PATH.
  const root = process.env.VIRTKIT_PULUMI_ROOT;
  const pulumiCommand = await PulumiCommand.get({ ...(root ? { root } : {}), skipVersionCheck: true });
  const ws = await LocalWorkspace.create({ workDir: dir, pulumiCommand, program: program(entry, dir) });
  let stackName = flags.stack;
  if (!stackName) {
    const current = await ws.stack();
    if (!current)
      throw new UsageError(
        'no stack is selected; pass --stack NAME, or create one with `npm run pulumi -- stack init NAME`',
      );
    stackName = current.name;
  }
  const stack = await Stack.select(stackName, ws);
  const onOutput = (s: string) => void process.stdout.write(s);
  const common = {
    color: flags.color ?? 'auto',
    diff: flags.diff,
    message: flags.message,
    target: flags.target,
    parallel: flags.parallel !== undefined ? Number(flags.parallel) : undefined,
    expectNoChanges: flags.expectNoChanges,
    refresh: flags.refresh,
  };
  switch (verb) {
    case 'up':
      await stack.up({ ...common, onOutput });
      return 0;
    case 'preview': {
      if (!flags.json) {
        await stack.preview({ ...common, onOutput });
        return 0;
      }
      const steps: JsonStep[] = [];
      const diagnostics: unknown[] = [];
      const onEvent = (e: EngineEvent) => {
        const m = e.resourcePreEvent?.metadata;
        if (m)
          steps.push({
            op: m.op,
            urn: m.urn,
            type: m.type,
            ...(m.diffs?.length ? { diffReasons: m.diffs } : {}),
            ...(m.keys?.length ? { replaceReasons: m.keys } : {}),
            // The CLI's JSON says `kind` where the engine events say `diffKind`.
            ...(m.detailedDiff
              ? {
                  detailedDiff: Object.fromEntries(
                    Object.entries(m.detailedDiff).map(([k, d]) => [
                      k,
                      { kind: d.diffKind, inputDiff: d.inputDiff },
                    ]),
                  ),
                }
              : {}),
          });
        // As the CLI's JSON: debug messages only with --debug, which this runner does not take.
        if (e.diagnosticEvent && (e.diagnosticEvent.severity as string) !== 'debug')
          diagnostics.push(e.diagnosticEvent);
      };
      const r = await stack.preview({ ...common, onEvent });
      process.stdout.write(
        `${JSON.stringify({ steps, diagnostics, changeSummary: r.changeSummary }, null, 4)}\n`,
      );
      return 0;
    }
    case 'refresh':
      await stack.refresh({ ...common, onOutput });
      return 0;
    case 'destroy':
      await stack.destroy({ ...common, onOutput });
      return 0;
  }
}

/** The part of a failed command's output not already printed (its stderr). */
function failureText(e: unknown): string {
  const r = (e as { commandResult?: { stderr?: string; err?: Error } }).commandResult;
  if (r?.stderr) return r.stderr;
  return e instanceof Error ? e.message : String(e);
}

if (require.main === module) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof CommanderError) process.exit(e.exitCode);
      process.stderr.write(`${e instanceof UsageError ? `error: ${e.message}` : failureText(e)}\n`);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}

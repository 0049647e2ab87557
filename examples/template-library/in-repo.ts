/**
 * Inside the virtkit repository, `virtkit/<entry>` means the repository's sources. The template
 * library imports virtkit by its package name, as any outside package does; an installed virtkit
 * resolves that name through its package.json `exports`, but the repository is not installed in
 * its own node_modules. So ts-node runs of the examples (`npm run examples:synth`) load this file
 * first (`ts-node -r`, in package.json's examples:synth), as jest maps the name (moduleNameMapper) and tsc
 * does (paths). The library's own build (its tsconfig.json) does not use it.
 */
import Module from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../..');

/** The package's entry points (`api`, `constructs`, `provider`), read from its exports. */
const ENTRIES = new Set(
  Object.keys(
    (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { exports: object }).exports,
  )
    .map((key) => key.replace(/^\.\//, ''))
    .filter((entry) => !entry.includes('.')),
);

type ResolveFilename = (this: unknown, request: string, ...rest: unknown[]) => string;
const loader = Module as unknown as { _resolveFilename: ResolveFilename };
const resolveFilename = loader._resolveFilename;
loader._resolveFilename = function (request, ...rest) {
  const entry = /^virtkit\/(.+)$/.exec(request)?.[1];
  const target = entry !== undefined && ENTRIES.has(entry) ? path.join(REPO, entry) : request;
  return resolveFilename.call(this, target, ...rest);
};

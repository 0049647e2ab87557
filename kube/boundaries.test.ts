/**
 * The layering the architecture promises, checked on the sources:
 *  - only kube/ builds Kubernetes request paths and Authorization headers (everything else
 *    goes through KubeClient, so every authentication method works everywhere);
 *  - imports run one way: handler -> kube <- controller; nothing imports controller/ but its
 *    entry point (cli/commands/controller.ts) and its own tests; api/ imports nothing of ours
 *    outside api/; kube/ knows nothing of VMs.
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const SOURCE_DIRS = [
  'api',
  'apiserver',
  'common',
  'kube',
  'constructs',
  'provider',
  'controller',
  'handler',
  'launcher',
  'cli',
  'bench',
  'scripts',
  'test',
  'examples',
];

function sources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'dist') continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  if (fs.existsSync(path.join(ROOT, dir))) walk(path.join(ROOT, dir));
  return out;
}

const rel = (file: string): string => path.relative(ROOT, file);
const ALL = SOURCE_DIRS.flatMap(sources);
const THIS_FILE = rel(__filename);

/** Lines of code, without // and block comments (a comment may mention a path). */
function codeLines(text: string): { line: number; code: string }[] {
  const stripped = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '));
  return stripped.split('\n').map((l, i) => ({ line: i + 1, code: l.replace(/(^|[^:'"`])\/\/.*$/, '$1') }));
}

/** Relative imports of a file, resolved to repository paths. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map(
    (m) => m[1],
  );
  return specs.map((s) => rel(path.resolve(path.dirname(file), s)));
}

const top = (p: string): string => p.split(path.sep)[0];

describe('only kube/ speaks HTTP to the API server', () => {
  const outside = ALL.filter((f) => top(rel(f)) !== 'kube' || rel(f) === THIS_FILE).filter(
    (f) => rel(f) !== THIS_FILE,
  );

  it('no module outside kube/ builds an Authorization header', () => {
    // common/oci/client.ts (and its test) answers OCI registries' token challenges: registries,
    // never the API server.
    const REGISTRY_CLIENT = [
      path.join('common', 'oci', 'client.ts'),
      path.join('common', 'oci', 'client.test.ts'),
    ];
    // CDI's upload proxy (served by virtkit api) takes an upload token, never an API server
    // credential: the proxy and token modules read it, `virtkit image-upload` sends it, and the
    // tests check that it is refused when wrong and never passed on to the node.
    const UPLOAD_TOKEN = [
      path.join('apiserver', 'upload', 'proxy.ts'),
      path.join('apiserver', 'upload', 'token.ts'),
      path.join('apiserver', 'upload', 'token.test.ts'),
      path.join('apiserver', 'upload', 'proxy.test.ts'),
      path.join('cli', 'commands', 'image-upload.ts'),
      path.join('handler', 'api', 'uploads.test.ts'),
      path.join('test', 'e2e', 'runtime-upload.test.ts'),
      // The api's RBAC suite uploads to the proxy, which then reads the claim with the api's role.
      path.join('test', 'integration', 'api-rbac.test.ts'),
    ];
    const hits = outside
      .filter((f) => !REGISTRY_CLIENT.includes(rel(f)) && !UPLOAD_TOKEN.includes(rel(f)))
      .flatMap((f) =>
        codeLines(fs.readFileSync(f, 'utf8'))
          // A header being built: the name as a key or a string, or a Bearer value (KubeVirt's
          // message "Authorization failed, ..." is neither).
          .filter(({ code }) => /\bAuthorization['"`]?\s*:|['"`]Authorization['"`]|['"`]Bearer\s/.test(code))
          .map(({ line, code }) => `${rel(f)}:${line}: ${code.trim()}`),
      );
    expect(hits).toEqual([]);
  });

  it('no module outside kube/ builds a Kubernetes request path', () => {
    const path_ = /['"`]\/apis?\/|\/namespaces\/\$\{|['"`][^'"`\s]*\/namespaces\//;
    // The node handler's own API (common/node-api.ts, KubeVirt's virt-handler paths) lives under
    // /v1/namespaces/...: never a path of the API server, whose paths start with /api or /apis.
    const nodeApiLiteral = /['"`]\/v1\/namespaces\/[^'"`\s]*/g;
    // virtkit api serves CDI's aggregated group upload.cdi.kubevirt.io itself: paths of its own
    // server (what kube-apiserver forwards to it), never requests to the API server.
    const OWN_AGGREGATED_API = [
      path.join('apiserver', 'upload', 'token-api.ts'),
      path.join('apiserver', 'upload', 'token-api.test.ts'),
    ];
    const hits = outside
      .filter((f) => !OWN_AGGREGATED_API.includes(rel(f)))
      .flatMap((f) =>
        codeLines(fs.readFileSync(f, 'utf8'))
          .filter(({ code }) => path_.test(code.replace(nodeApiLiteral, '')))
          .map(({ line, code }) => `${rel(f)}:${line}: ${code.trim()}`),
      );
    expect(hits).toEqual([]);
  });

  it('the check finds what it looks for (a hand-built path and header are caught)', () => {
    const sample =
      "const p = `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachines`;\nheaders.Authorization = 'Bearer ' + t;";
    const lines = codeLines(sample).map((l) => l.code);
    expect(lines.filter((c) => /['"`]\/apis?\//.test(c))).toHaveLength(1);
    expect(lines.filter((c) => /\bAuthorization\b/.test(c))).toHaveLength(1);
  });
});

describe('imports run one way', () => {
  const edges = ALL.flatMap((f) => importsOf(f).map((to) => ({ from: rel(f), to })));
  const crossing = (from: (p: string) => boolean, to: (p: string) => boolean): string[] =>
    edges.filter((e) => from(e.from) && to(e.to)).map((e) => `${e.from} -> ${e.to}`);
  const isIn = (dir: string) => (p: string) => top(p) === dir;

  it('finds the imports it checks', () => {
    expect(crossing(isIn('handler'), isIn('kube')).length).toBeGreaterThan(0);
    expect(crossing(isIn('controller'), isIn('kube')).length).toBeGreaterThan(0);
  });

  it('nothing imports controller/ except its entry point, its own files, tests and benchmarks', () => {
    const allowed = (p: string): boolean =>
      ['controller', 'test', 'bench'].includes(top(p)) || p === path.join('cli', 'commands', 'controller.ts');
    expect(crossing((p) => !allowed(p), isIn('controller'))).toEqual([]);
  });

  it('the handler and the controller never import each other', () => {
    expect(crossing(isIn('handler'), isIn('controller'))).toEqual([]);
    expect(crossing(isIn('controller'), isIn('handler'))).toEqual([]);
  });

  it('the controller does not import the launcher, constructs, provider or cli', () => {
    expect(
      crossing(isIn('controller'), (p) => ['launcher', 'constructs', 'provider', 'cli'].includes(top(p))),
    ).toEqual([]);
  });

  it('kube/ knows nothing of VMs: it imports only itself and common/', () => {
    expect(crossing(isIn('kube'), (p) => !['kube', 'common'].includes(top(p)))).toEqual([]);
  });

  it('apiserver/ does not import the controller, the handler or the launcher', () => {
    expect(
      crossing(isIn('apiserver'), (p) => ['controller', 'handler', 'launcher', 'cli'].includes(top(p))),
    ).toEqual([]);
  });

  it('api/ is self-contained', () => {
    expect(crossing(isIn('api'), (p) => top(p) !== 'api')).toEqual([]);
  });
});

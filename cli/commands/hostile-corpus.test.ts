/**
 * The corpus of more than 10,000 hostile objects (test/fixtures/hostile-objects.ts) through what
 * judges an object in process: the api/ validation every entry point shares
 * (validateUserFields), `virtkit validate` (checkFiles over YAML files written from the
 * corpus, as a user would hand them over) and admission's answer (admit, the function behind
 * the webhook). Every case must be refused with an error at the field it breaks, and nothing
 * may throw. Cases of features behind a feature gate are valid to the validation (they are
 * fine where the gate is on) and must be refused by the gate check, naming the field and gate.
 * The constructs, the runtime's entry points and the real API server have suites of their own
 * (constructs/hostile-corpus.test.ts, test/e2e/hostile-entry-points.test.ts,
 * test/integration/hostile-admission.test.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { admit, type AdmissionResponse } from '../../apiserver/admission/review';
import { featureGateIssues } from '../../api/feature-gates';
import { validateUserFields } from '../../api/validation/validate';
import type { Issue } from '../../api/validation/issue';
import { hasControlCharacters } from '../../api/validation/printable';
import { corpusKinds, hostileCases, validBases, type HostileCase } from '../../test/fixtures/hostile-objects';
import { checkFiles, type ObjectResult } from './validate';

const cases = hostileCases();
const judged = cases.filter((c) => c.group !== 'gate');
const gated = cases.filter((c) => c.group === 'gate');

const errorsOf = (issues: readonly Pick<Issue, 'path' | 'severity' | 'message'>[]) =>
  issues.filter((i) => i.severity === 'error');

/** Collects "case: what went wrong" lines, so one run shows every miss at once. */
function misses(): { add: (c: HostileCase, what: string) => void; list: string[] } {
  const list: string[] = [];
  return { list, add: (c, what) => list.push(`${c.id} (${c.field}): ${what}`) };
}

describe('the hostile corpus', () => {
  it('has more than 10,000 cases of every kind, group and field', () => {
    expect(cases.length).toBeGreaterThanOrEqual(10_000);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    const byKind = new Map<string, number>();
    for (const c of cases) byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
    for (const kind of corpusKinds()) expect([kind, (byKind.get(kind) ?? 0) >= 100]).toEqual([kind, true]);
    for (const group of ['meta', 'schema', 'rule', 'node', 'gate'])
      expect(cases.filter((c) => c.group === group).length).toBeGreaterThan(50);
    // Each VMI-bearing kind carries the hostile values of the fields that reach QEMU or the node.
    for (const id of ['vm', 'vmi', 'replicaset', 'pool'])
      for (const f of [
        'volume-and-disk-name',
        'configmap-volume-name',
        'cpu-model',
        'host-disk-path',
        'kernel-path',
      ])
        expect(cases.filter((c) => c.id.startsWith(`${id}/node/${f}-`)).length).toBeGreaterThan(8);
  });

  it('starts from bases that are valid, so every refusal is the variation’s', () => {
    for (const b of validBases()) expect([b.id, errorsOf(validateUserFields(b.make()))]).toEqual([b.id, []]);
  });
});

describe('validateUserFields (what admission, the controller and the handler judge)', () => {
  it('refuses every case with an error at its field, and never throws', () => {
    const m = misses();
    for (const c of judged) {
      let issues: Issue[];
      try {
        issues = validateUserFields(c.make());
      } catch (e) {
        m.add(c, `threw ${(e as Error).stack}`);
        continue;
      }
      const errors = errorsOf(issues);
      // Messages quote the hostile values: never with a raw control character.
      const raw = issues.find((i) => hasControlCharacters(i.message));
      if (raw) m.add(c, `raw control character in ${JSON.stringify(raw.message.slice(0, 200))}`);
      if (!errors.length) m.add(c, 'accepted');
      else if (!errors.some((i) => i.path === c.field && i.message))
        m.add(c, `errors at ${JSON.stringify(errors.map((i) => i.path).slice(0, 5))}`);
    }
    expect(m.list).toEqual([]);
  });

  it('leaves gated features to the gate, which refuses them naming the field and the gate', () => {
    const m = misses();
    for (const c of gated) {
      const o = c.make();
      const errors = errorsOf(validateUserFields(o));
      if (errors.length) m.add(c, `the validation refused it: ${errors.map((i) => i.path).join(', ')}`);
      const gate = featureGateIssues(o, new Set());
      if (!gate.some((i) => i.path === c.field && i.message.includes(c.gate!)))
        m.add(c, `gate check gave ${JSON.stringify(gate.map((i) => i.path))}`);
      if (featureGateIssues(o, new Set([c.gate!])).length) m.add(c, 'still refused with its gate on');
    }
    expect(m.list).toEqual([]);
  });
});

describe('admit (the webhook, in process)', () => {
  const review = (uid: string, object: Record<string, unknown>): AdmissionResponse | undefined =>
    (
      admit(
        {
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: { uid, operation: 'CREATE', object },
        },
        new Set(),
      ) as { response?: AdmissionResponse }
    ).response;

  it('denies every case (gated ones too, with no gate on), naming the field in a cause and in the message', () => {
    const m = misses();
    for (const c of cases) {
      let response: AdmissionResponse | undefined;
      try {
        response = review(c.id, c.make());
      } catch (e) {
        m.add(c, `threw ${(e as Error).stack}`);
        continue;
      }
      if (!response || response.allowed) m.add(c, 'allowed');
      else if (response.status?.code !== 422) m.add(c, `status ${response.status?.code}`);
      else if (!response.status.details?.causes.some((x) => x.field === c.field))
        m.add(c, `causes ${JSON.stringify(response.status.details?.causes.map((x) => x.field).slice(0, 5))}`);
      else if (!response.status.message.includes(c.field)) m.add(c, 'the message does not name the field');
      else if (hasControlCharacters(response.status.message))
        m.add(c, 'a raw control character in the message');
    }
    expect(m.list).toEqual([]);
  });

  it('allows the valid bases', () => {
    for (const b of validBases()) {
      const object = b.make();
      const r = review(b.id, object);
      expect([b.id, r?.allowed, r?.status?.message]).toEqual([b.id, true, undefined]);
    }
  });
});

describe('virtkit validate (checkFiles over the corpus as YAML files)', () => {
  let dir: string;
  /** For each case: its file and document number. */
  const where = new Map<HostileCase, { file: string; document: number }>();
  let results: Map<string, readonly ObjectResult[]>;
  let fileErrors: string[];

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-hostile-corpus-'));
    // Many documents to a file (as a repository's manifests are), a big object alone in its own.
    let docs: string[] = [];
    let bytes = 0;
    let n = 0;
    const flush = () => {
      if (!docs.length) return;
      fs.writeFileSync(path.join(dir, `${String(n++).padStart(5, '0')}.yaml`), docs.join('---\n'));
      docs = [];
      bytes = 0;
    };
    for (const c of cases) {
      const text = stringify(c.make(), { lineWidth: 0 });
      if (bytes + text.length > 4 * 1024 * 1024 || docs.length >= 250) flush();
      docs.push(text);
      bytes += text.length;
      where.set(c, { file: path.join(dir, `${String(n).padStart(5, '0')}.yaml`), document: docs.length });
    }
    flush();
    const files = fs.readdirSync(dir).map((f) => path.join(dir, f));
    const report = checkFiles(files);
    results = new Map(report.files.map((f) => [f.file, f.objects]));
    fileErrors = report.files.filter((f) => f.error).map((f) => `${f.file}: ${f.error}`);
  }, 300_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads every file', () => {
    expect(fileErrors).toEqual([]);
  });

  it('refuses every case with an error at its field, and passes the gated ones on to the cluster', () => {
    const m = misses();
    for (const c of cases) {
      const at = where.get(c)!;
      const result = results.get(at.file)?.find((o) => o.document === at.document);
      if (!result) {
        m.add(c, 'no result');
        continue;
      }
      const errors = errorsOf(result.issues);
      if (c.group === 'gate') {
        if (!result.valid) m.add(c, `refused: ${errors.map((i) => i.path).join(', ')}`);
      } else if (result.valid) m.add(c, 'valid');
      else if (!errors.some((i) => i.path === c.field))
        m.add(c, `errors at ${JSON.stringify(errors.map((i) => i.path).slice(0, 5))}`);
    }
    expect(m.list).toEqual([]);
  });
});

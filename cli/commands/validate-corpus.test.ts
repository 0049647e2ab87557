/**
 * `virtkit validate` against a generated corpus of hostile manifests (test/fixtures/validate-corpus.ts):
 * every bad object is refused with an error at the field it breaks, every bad file gets
 * one clear error, good files in the same run stay valid, and nothing printed carries a
 * raw control character. Runs in-process; a few cases spawn the real command.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildCorpus, type CorpusCase } from '../../test/fixtures/validate-corpus';
import { checkFiles, printReport, validateFiles, type ValidateReport } from './validate';

const corpus = buildCorpus();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-corpus-'));
const fileOf = new Map<CorpusCase, string>();
corpus.forEach((c, i) => {
  const file = path.join(dir, `${String(i).padStart(4, '0')}-${c.name}.yaml`);
  fs.writeFileSync(file, c.content);
  fileOf.set(c, file);
});
const goodFile = fileOf.get(corpus.find((c) => c.name === 'vm-valid')!)!;

// A raw control character other than the newline that separates report lines.
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

let report: ValidateReport;
beforeAll(() => {
  // Good files sit between the hostile ones, so a crash or an early stop would show.
  const files = corpus.flatMap((c) => [fileOf.get(c)!, goodFile]);
  report = checkFiles(files);
}, 120_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the hostile corpus', () => {
  it('is large and covers every expectation', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(1000);
    const refused = corpus.filter((c) => c.expect.outcome === 'refused').length;
    expect(refused).toBeGreaterThanOrEqual(1000);
    expect(corpus.filter((c) => c.expect.outcome === 'file-error').length).toBeGreaterThan(20);
  });

  it('reports every file, in order, with the good files between them still valid', () => {
    expect(report.files).toHaveLength(corpus.length * 2);
    report.files.forEach((f, i) => {
      if (i % 2 === 1) {
        expect(f.file).toBe(goodFile);
        expect(f.error).toBeUndefined();
        expect(f.objects.map((o) => o.valid)).toEqual([true]);
      }
    });
    expect(report.valid).toBe(false);
  });

  it('gives each case the answer it expects, naming the field', () => {
    const wrong: string[] = [];
    corpus.forEach((c, i) => {
      const r = report.files[i * 2];
      const expectation = c.expect;
      switch (expectation.outcome) {
        case 'valid':
          if (r.error || r.objects.some((o) => !o.valid))
            wrong.push(`${c.name}: expected valid, got ${r.error ?? JSON.stringify(r.objects[0]?.issues)}`);
          break;
        case 'file-error':
          if (!r.error || !expectation.message.test(r.error) || r.objects.length)
            wrong.push(`${c.name}: expected a file error ${expectation.message}, got ${r.error ?? 'none'}`);
          break;
        case 'refused':
          if (r.error) wrong.push(`${c.name}: expected a refused object, got the file error ${r.error}`);
          else if (!r.objects.length) wrong.push(`${c.name}: no objects`);
          for (const o of r.objects) {
            const errors = o.issues.filter((x) => x.severity === 'error');
            if (o.valid || !errors.some((x) => x.path === expectation.path))
              wrong.push(
                `${c.name}: expected an error at ${JSON.stringify(expectation.path)}, got ${JSON.stringify(errors.map((x) => x.path))}`,
              );
            if (errors.some((x) => !x.message)) wrong.push(`${c.name}: an error without a message`);
          }
      }
    });
    expect(wrong).toEqual([]);
  });

  it('prints no raw control character, however hostile the names and values', () => {
    const lines: string[] = [];
    printReport(
      report,
      (l) => lines.push(l),
      (l) => lines.push(l),
    );
    const raw = lines.flatMap((l) => l.split('\n')).filter((l) => RAW_CONTROL.test(l));
    expect(raw).toEqual([]);
    const text = lines.join('\n');
    expect(text).toContain('\\x1b[31mred');
    expect(text).toContain('a\\nb');
    // Long names and values are cut in reports, so no line is megabytes long.
    expect(Math.max(...lines.flatMap((l) => l.split('\n')).map((l) => l.length))).toBeLessThan(2000);
  });

  it('counts every failure, so the exit code is non-zero', () => {
    const { invalidObjects, fileErrors } = report.summary;
    expect(invalidObjects + fileErrors).toBe(corpus.filter((c) => c.expect.outcome !== 'valid').length);
    const some = ['vm-valid', 'vm-name-0', 'empty', 'malformed-1'].map((name) =>
      fileOf.get(corpus.find((c) => c.name === name)!)!,
    );
    expect(
      validateFiles(
        some,
        () => undefined,
        () => undefined,
      ),
    ).toBe(3);
  });
});

describe('the real command on a few corpus files', () => {
  const bin = path.resolve(__dirname, '..', '..', 'bin', 'virtkit.js');
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  };
  const pick = (name: string) => fileOf.get(corpus.find((c) => c.name === name)!)!;

  it('goes on after a malformed file, reports the good one and exits 1', () => {
    const r = run(['validate', pick('malformed-0'), goodFile, pick('empty'), pick('many-separators')]);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/malformed YAML in document 1/);
    expect(r.stderr).toContain('no objects found in');
    expect(r.stderr).toContain('more than 10000 documents');
    expect(r.stdout).toContain('1 of 1 object valid; 3 files could not be checked');
  }, 120_000);

  it('prints one JSON document with -o json', () => {
    const r = run(['validate', '-o', 'json', goodFile, pick('vm-name-13'), pick('alias-bomb-12')]);
    expect(r.code).toBe(1);
    const parsed = JSON.parse(r.stdout) as ValidateReport;
    expect(parsed.valid).toBe(false);
    expect(parsed.summary).toEqual({
      files: 3,
      fileErrors: 1,
      objects: 2,
      validObjects: 1,
      invalidObjects: 1,
    });
    const [good, bad, bomb] = parsed.files;
    expect(good.objects[0]).toMatchObject({ document: 1, kind: 'VirtualMachine', name: 'web', valid: true });
    expect(bad.objects[0].name).toBe('\u001b[31mred\u001b[0m');
    expect(bad.objects[0].issues).toContainEqual(
      expect.objectContaining({ path: 'metadata.name', severity: 'error', rule: 'meta.name' }),
    );
    expect(bomb.error).toMatch(/aliases/);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
  }, 120_000);

  it('exits non-zero on empty input from stdin', () => {
    const r = spawnSync(process.execPath, [bin, 'validate', '-'], { encoding: 'utf8', input: '' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no objects found in stdin');
  }, 120_000);
});

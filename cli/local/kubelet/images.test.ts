import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ClusterImagesError, findCachedImages, readImagesFile } from './images';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-images-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** A cache entry as images/build.ts writes it: image.json and the archive beside it. */
function entry(name: string, hash: string, tag: string, mtime: number): string {
  const dir = path.join(root, `${name}-${hash}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, `${name}.oci.tar`), 'x'.repeat(10));
  fs.writeFileSync(
    path.join(dir, 'image.json'),
    JSON.stringify({
      name,
      ref: `virtkit.local/${name}:${tag}`,
      repository: `virtkit.local/${name}`,
      tag,
      digest: `sha256:${hash.padEnd(64, '0')}`,
      archive: `${name}.oci.tar`,
    }),
  );
  fs.utimesSync(dir, mtime, mtime);
  return dir;
}

describe('findCachedImages', () => {
  test("picks each image's most recent build of this version", () => {
    entry('virtkit', '1111111111111111', '0.1.0-111111111111', 1000);
    entry('virtkit', '2222222222222222', '0.1.0-222222222222', 2000);
    entry('virtkit', '3333333333333333', '0.2.0-333333333333', 3000);
    entry('virtkit-launcher', '4444444444444444', '0.1.0-444444444444', 1500);
    const images = findCachedImages('0.1.0', root);
    expect(images.virtkit.ref).toBe('virtkit.local/virtkit:0.1.0-222222222222');
    expect(images.virtkit.archive).toBe(path.join(root, 'virtkit-2222222222222222', 'virtkit.oci.tar'));
    expect(images.virtkit.archiveBytes).toBe(10);
    expect(images.launcher.ref).toBe('virtkit.local/virtkit-launcher:0.1.0-444444444444');
  });

  test('says how to build them when one is missing', () => {
    entry('virtkit', '1111111111111111', '0.1.0-111111111111', 1000);
    expect(() => findCachedImages('0.1.0', root)).toThrow(ClusterImagesError);
    expect(() => findCachedImages('0.1.0', root)).toThrow(
      /no virtkit-launcher image; build them with `npm run images`/,
    );
  });

  test('refuses a record whose archive is gone', () => {
    entry('virtkit-launcher', '4444444444444444', '0.1.0-444444444444', 1500);
    const dir = entry('virtkit', '1111111111111111', '0.1.0-111111111111', 1000);
    fs.rmSync(path.join(dir, 'virtkit.oci.tar'));
    expect(() => findCachedImages('0.1.0', root)).toThrow(
      /image record virtkit: its archive .*virtkit\.oci\.tar is missing/,
    );
  });
});

describe('readImagesFile', () => {
  test('reads the list `npm run -s images -- --json` prints, archives relative to the file', () => {
    const v = entry('virtkit', '1111111111111111', '0.1.0-111111111111', 1000);
    const l = entry('virtkit-launcher', '4444444444444444', '0.1.0-444444444444', 1500);
    const records = [v, l].map((d) => {
      const r = JSON.parse(fs.readFileSync(path.join(d, 'image.json'), 'utf8')) as { archive: string };
      return { ...r, archive: path.join(d, r.archive) };
    });
    const file = path.join(root, 'images.json');
    fs.writeFileSync(file, JSON.stringify(records));
    const images = readImagesFile(file);
    expect(images.launcher.archive).toBe(path.join(l, 'virtkit-launcher.oci.tar'));
  });

  test('names the file and the field of a bad record', () => {
    const file = path.join(root, 'images.json');
    fs.writeFileSync(
      file,
      JSON.stringify([{ name: 'virtkit', ref: 'Bad Ref', repository: 'virtkit.local/virtkit' }]),
    );
    expect(() => readImagesFile(file)).toThrow(
      new RegExp(
        `--images ${file}: image record virtkit: ref "Bad Ref" is not valid; digest undefined is not valid`,
      ),
    );
    fs.writeFileSync(file, '{');
    expect(() => readImagesFile(file)).toThrow(/cannot read a JSON list of images/);
  });
});

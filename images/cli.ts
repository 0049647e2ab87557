/**
 * `npm run images [-- --json] [-- NAME...]`: builds the container images (or finds them in the
 * cache) and prints, for each, its ref, digest, archive and root filesystem sizes, and where the
 * archive is. Progress goes to stderr; the summary (or JSON with --json) to stdout.
 */
import * as path from 'path';
import { buildImages, type BuiltImage } from './build';
import { IMAGE_NAMES, type ImageName } from './recipes';

const MiB = 1024 * 1024;

/** One image's summary lines. */
export function summary(i: BuiltImage): string {
  const how = i.cached ? 'cached' : `built in ${i.seconds}s`;
  return [
    `${i.name} (${how})`,
    `  ref:     ${i.ref}`,
    `  digest:  ${i.digest}`,
    `  size:    ${(i.archiveBytes / MiB).toFixed(1)} MiB archive (compressed), ${(i.rootfsBytes / MiB).toFixed(1)} MiB unpacked, ${i.layers.length} layers`,
    `  user:    ${i.user}`,
    `  archive: ${i.archive}`,
    `  import:  ctr -n k8s.io images import --base-name ${i.repository} ${i.archive}`,
  ].join('\n');
}

function main(argv: string[]): number {
  const json = argv.includes('--json');
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !IMAGE_NAMES.includes(n as ImageName));
  if (unknown.length) {
    console.error(
      `npm run images: unknown image ${unknown.join(', ')}; the images are ${IMAGE_NAMES.join(', ')}`,
    );
    return 2;
  }
  const started = Date.now();
  const images = buildImages({
    repo: path.resolve(__dirname, '..'),
    images: names.length ? (names as ImageName[]) : undefined,
    log: (line) => console.error(`images: ${line}`),
  });
  if (json) console.log(JSON.stringify(images, null, 2));
  else {
    console.log(images.map(summary).join('\n\n'));
    console.log(`\n${images.length} images in ${Math.round((Date.now() - started) / 1000)}s`);
  }
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(`npm run images: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}

/** Test layers: a tar of the given entries, in memory. */
import * as tar from 'tar-stream';

export interface TestEntry {
  readonly name: string;
  readonly type?: 'file' | 'symlink' | 'directory';
  readonly body?: string;
  readonly linkname?: string;
}

export async function tarOf(entries: readonly TestEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    if (e.type === 'symlink' || e.type === 'directory')
      pack.entry({ name: e.name, type: e.type, linkname: e.linkname });
    else pack.entry({ name: e.name }, e.body ?? 'x');
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

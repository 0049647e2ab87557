import { PassThrough } from 'stream';
import { consoleProgress, formatProgress } from './image';

it('formats progress as MiB and percent', () => {
  expect(formatProgress(0, 0)).toBe('0.0 MiB/0.0 MiB 100%');
  expect(formatProgress(3 * 2 ** 20, 12 * 2 ** 20)).toBe('3.0 MiB/12.0 MiB 25%');
  expect(formatProgress(13 * 2 ** 20, 12 * 2 ** 20)).toBe('13.0 MiB/12.0 MiB 100%');
});

it('off a terminal prints plain lines: each step, and every quarter', () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const p = consoleProgress(out as unknown as NodeJS.WriteStream);
  p.step('pushing');
  for (let i = 0; i <= 100; i++) p.bytes('upload', i, 100);
  p.end();
  expect(text.split('\n').filter(Boolean)).toEqual([
    'pushing',
    'upload: 0.0 MiB/0.0 MiB 0%',
    'upload: 0.0 MiB/0.0 MiB 25%',
    'upload: 0.0 MiB/0.0 MiB 50%',
    'upload: 0.0 MiB/0.0 MiB 75%',
    'upload: 0.0 MiB/0.0 MiB 100%',
  ]);
  expect(text).not.toContain('\r');
});

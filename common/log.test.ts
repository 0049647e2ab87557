import { Writable } from 'stream';
import { createLogger, keyFields, objectFields, resolveLogLevel } from './log';

function capture(
  level?: string,
  pretty?: boolean,
): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const log = createLogger({
    component: 'virtkit-test',
    level,
    pretty,
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    }),
  });
  return { lines, log };
}

describe('structured logs', () => {
  it('off a terminal, each line is JSON with KubeVirt key names and the object identity', () => {
    const { lines, log } = capture();
    const vm = { kind: 'VirtualMachine', metadata: { namespace: 'ns', name: 'web', uid: 'u-1' } };
    log.child(objectFields(vm)).info('started');
    log.warn(keyFields('VirtualMachineInstance', 'ns/db'), 'slow');
    expect(lines).toHaveLength(2);
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({
      level: 'info',
      component: 'virtkit-test',
      msg: 'started',
      kind: 'VirtualMachine',
      namespace: 'ns',
      name: 'web',
      uid: 'u-1',
    });
    expect(Date.parse(String(first.timestamp))).not.toBeNaN();
    expect(second).toMatchObject({
      level: 'warn',
      kind: 'VirtualMachineInstance',
      namespace: 'ns',
      name: 'db',
    });
  });

  it('honours the level', () => {
    const { lines, log } = capture('warn');
    log.info('hidden');
    log.error('shown');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['shown']);
  });

  it('takes the level from the flag, else VIRTKIT_LOG_LEVEL, else info; refuses unknown names', () => {
    expect(resolveLogLevel('debug', { VIRTKIT_LOG_LEVEL: 'error' })).toBe('debug');
    expect(resolveLogLevel(undefined, { VIRTKIT_LOG_LEVEL: 'ERROR' })).toBe('error');
    expect(resolveLogLevel(undefined, {})).toBe('info');
    expect(() => resolveLogLevel('loud', {})).toThrow(
      /--log-level loud: not a log level; use one of trace, debug/,
    );
    expect(() => resolveLogLevel(undefined, { VIRTKIT_LOG_LEVEL: 'x' })).toThrow(/VIRTKIT_LOG_LEVEL x/);
  });

  it('on a terminal, lines are readable rather than JSON', () => {
    const { lines, log } = capture(undefined, true);
    log.info({ name: 'web' }, 'hello');
    expect(lines.join('\n')).toMatch(/INFO.*virtkit-test: hello/);
    expect(() => JSON.parse(lines[0])).toThrow();
  });
});

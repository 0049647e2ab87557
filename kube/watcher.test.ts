/** The watch protocol against a scripted stream: bookmarks, 410 relists, reconnects, stop. */
import { KubeApiError } from './errors';
import { Informer } from './informer';
import type { ListResult, ListWatchTransport, StatusObject, WatchEventType, WatchHandle } from './watcher';

interface Obj {
  metadata: { name: string; namespace: string; resourceVersion: string };
}
const obj = (name: string, rv: string): Obj => ({ metadata: { name, namespace: 'ns', resourceVersion: rv } });

type Step =
  | { list: Obj[]; rv: string }
  | { listError: unknown }
  | { watchFrom: string; events: [WatchEventType, Obj | StatusObject][]; end?: unknown | 'close' | 'hang' };

/** Plays `steps` in order; records what the watcher asked for. */
class ScriptedTransport implements ListWatchTransport<Obj> {
  readonly description = 'scripted';
  readonly calls: string[] = [];
  constructor(private readonly steps: Step[]) {}
  private next(): Step | undefined {
    return this.steps.shift();
  }
  async list(): Promise<ListResult<Obj>> {
    this.calls.push('list');
    const s = this.next();
    if (!s) return new Promise(() => undefined);
    if ('listError' in s) throw s.listError;
    if (!('list' in s)) throw new Error(`script expected a list, got ${JSON.stringify(s)}`);
    return { items: s.list, resourceVersion: s.rv };
  }
  async watch(
    rv: string,
    onEvent: (t: WatchEventType, o: Obj | StatusObject) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle> {
    this.calls.push(`watch@${rv}`);
    const s = this.next();
    if (!s) return { abort: () => onDone() }; // the script is over: hang until stopped
    if (!('watchFrom' in s)) throw new Error(`script expected a watch, got ${JSON.stringify(s)}`);
    if (s.watchFrom !== rv) throw new Error(`watch resumed from ${rv}, script expected ${s.watchFrom}`);
    setImmediate(() => {
      for (const [t, o] of s.events) onEvent(t, o);
      if (s.end === 'hang') return;
      onDone(s.end === 'close' || s.end === undefined ? undefined : s.end);
    });
    return { abort: () => undefined };
  }
}

async function run(
  steps: Step[],
  until: (i: Informer<Obj>, t: ScriptedTransport) => boolean,
): Promise<{ informer: Informer<Obj>; transport: ScriptedTransport; errors: string[]; log: string[] }> {
  const transport = new ScriptedTransport(steps);
  const errors: string[] = [];
  const log: string[] = [];
  const informer = new Informer<Obj>(
    transport,
    {},
    { onError: (m) => errors.push(m), sleep: async () => undefined },
  );
  informer.addHandlers({
    onAdd: (o) => log.push(`add ${o.metadata.name}@${o.metadata.resourceVersion}`),
    onUpdate: (_, o) => log.push(`update ${o.metadata.name}@${o.metadata.resourceVersion}`),
    onDelete: (o) => log.push(`delete ${o.metadata.name}`),
  });
  informer.start();
  for (let i = 0; i < 1000 && !until(informer, transport); i++) await new Promise((r) => setImmediate(r));
  await informer.stop();
  return { informer, transport, errors, log };
}

describe('Watcher', () => {
  test('lists, then watches from the list resourceVersion; bookmarks move the resume point only', async () => {
    const r = await run(
      [
        { list: [obj('a', '1')], rv: '10' },
        {
          watchFrom: '10',
          events: [
            ['ADDED', obj('b', '11')],
            ['BOOKMARK', obj('', '15')],
          ],
          end: 'close',
        },
        { watchFrom: '15', events: [['MODIFIED', obj('a', '16')]], end: 'hang' },
      ],
      (i) => i.cache.get('ns/a')?.metadata.resourceVersion === '16',
    );
    expect(r.transport.calls).toEqual(['list', 'watch@10', 'watch@15']);
    expect(r.log).toEqual(['add a@1', 'add b@11', 'update a@16']);
  });

  test('an ERROR event with 410 Gone relists, and the relist reports objects deleted meanwhile', async () => {
    const r = await run(
      [
        { list: [obj('a', '1'), obj('b', '2')], rv: '10' },
        {
          watchFrom: '10',
          events: [
            ['ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' }],
          ],
        },
        { list: [obj('a', '1'), obj('c', '30')], rv: '40' },
        { watchFrom: '40', events: [], end: 'hang' },
      ],
      (_, t) => t.calls.length >= 4,
    );
    expect(r.transport.calls).toEqual(['list', 'watch@10', 'list', 'watch@40']);
    expect(r.log).toEqual(['add a@1', 'add b@2', 'add c@30', 'delete b']);
    expect(r.informer.cache.keys().sort()).toEqual(['ns/a', 'ns/c']);
    expect(r.errors.join('\n')).toMatch(/410 Gone/);
  });

  test('an HTTP 410 on watch start relists too', async () => {
    const r = await run(
      [
        { list: [], rv: '5' },
        { watchFrom: '5', events: [], end: new KubeApiError('WATCH', '/x', 410, 'Expired', 'gone') },
        { list: [], rv: '9' },
      ],
      (_, t) => t.calls.length >= 4,
    );
    expect(r.transport.calls.slice(0, 4)).toEqual(['list', 'watch@5', 'list', 'watch@9']);
  });

  test('other failures reconnect from the last seen version, reported each time, never stopping', async () => {
    const r = await run(
      [
        { listError: new KubeApiError('GET', '/x', 0, 'ConnectionFailed', 'refused') },
        { list: [], rv: '1' },
        { watchFrom: '1', events: [['ADDED', obj('a', '2')]], end: new Error('socket hang up') },
        { watchFrom: '2', events: [], end: new KubeApiError('WATCH', '/x', 500, 'InternalError', 'etcd') },
        { watchFrom: '2', events: [['ADDED', obj('b', '3')]], end: 'hang' },
      ],
      (i) => i.cache.size === 2,
    );
    expect(r.transport.calls).toEqual(['list', 'list', 'watch@1', 'watch@2', 'watch@2']);
    expect(r.errors).toHaveLength(3);
    expect(r.errors[0]).toMatch(/scripted: list failed \(attempt 1\)/);
    expect(r.errors[1]).toMatch(/watch failed .*socket hang up/);
  });
});

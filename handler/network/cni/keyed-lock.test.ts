import { KeyedLock } from './keyed-lock';

describe('KeyedLock', () => {
  it('runs operations on one key one at a time, in order, and other keys alongside', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = lock.run('a', async () => {
      log.push('a1 start');
      await gate;
      log.push('a1 end');
    });
    const second = lock.run('a', async () => {
      log.push('a2');
      throw new Error('a2 failed');
    });
    const third = lock.run('a', async () => log.push('a3'));
    const other = lock.run('b', async () => log.push('b'));
    await other;
    expect(lock.busy('a')).toBe(true);
    expect(lock.keys()).toEqual(['a']);
    release();
    await first;
    await expect(second).rejects.toThrow('a2 failed');
    await third;
    expect(log).toEqual(['a1 start', 'b', 'a1 end', 'a2', 'a3']);
    expect(lock.busy('a')).toBe(false);
  });
});

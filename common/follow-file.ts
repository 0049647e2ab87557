/**
 * `tail -c N -f` for a file another process appends to (QEMU's serial console log): the last
 * `historyBytes` first (from the start of a line, when the cut falls inside one), then every
 * byte appended after, in order, exactly once. New data is noticed through fs.watch, with a poll
 * as a safety net (watches can miss events on some filesystems). A file that shrinks (truncated)
 * is followed from its new end.
 */
import * as fs from 'fs';

export interface FollowOptions {
  readonly path: string;
  /** Bytes of what the file already holds to deliver first. @default 0 */
  readonly historyBytes?: number;
  /**
   * Where "now" is: the history ends and the live part starts at this offset (the file's size
   * when the caller asked, so bytes appended while the file is being opened are not lost).
   * @default the file's size once it is open
   */
  readonly fromOffset?: number;
  /**
   * Receives the bytes in order; the next read waits for the promise it returns (so a slow
   * consumer slows the reading down instead of buffering without bound).
   */
  readonly onData: (chunk: Buffer) => Promise<void> | void;
  /** A read failed; following stops. */
  readonly onError?: (err: Error) => void;
  /** @default 500 */
  readonly pollMs?: number;
}

export interface FileFollower {
  /** Reads what was appended so far and delivers it (resolves once delivered). */
  catchUp(): Promise<void>;
  stop(): void;
}

const CHUNK = 64 * 1024;

/** Starts following; resolves once the history has been delivered. */
export async function followFile(o: FollowOptions): Promise<FileFollower> {
  const handle = await fs.promises.open(o.path, 'r');
  let stopped = false;
  let offset = 0;
  let running: Promise<void> | undefined;
  let again = false;

  const size = Math.min((await handle.stat()).size, o.fromOffset ?? Infinity);
  const history = Math.max(0, Math.min(o.historyBytes ?? 0, size));
  offset = size - history;
  if (history > 0) {
    const buf = Buffer.alloc(history);
    const { bytesRead } = await handle.read(buf, 0, history, offset);
    let tail = buf.subarray(0, bytesRead);
    if (offset > 0) {
      // The cut fell inside the file: start at the next full line, if there is one.
      const nl = tail.indexOf(0x0a);
      if (nl >= 0 && nl < tail.length - 1) tail = tail.subarray(nl + 1);
    }
    offset += bytesRead;
    if (tail.length) await o.onData(tail);
  }

  async function readAppended(): Promise<void> {
    for (;;) {
      if (stopped) return;
      const now = (await handle.stat()).size;
      if (now < offset) offset = now;
      if (now === offset) return;
      const want = Math.min(CHUNK, now - offset);
      const buf = Buffer.alloc(want);
      const { bytesRead } = await handle.read(buf, 0, want, offset);
      if (bytesRead === 0) return;
      offset += bytesRead;
      if (stopped) return;
      await o.onData(buf.subarray(0, bytesRead));
    }
  }

  /** One reader at a time; a wake-up during a read makes it read again. */
  function wake(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await readAppended();
        } while (again && !stopped);
      } catch (err) {
        if (!stopped) {
          stop();
          o.onError?.(err as Error);
        }
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  let watcher: fs.FSWatcher | undefined;
  try {
    watcher = fs.watch(o.path, { persistent: false }, () => void wake());
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined; // the poll below still follows the file
  }
  const poll = setInterval(() => void wake(), o.pollMs ?? 500);
  poll.unref();

  function stop(): void {
    if (stopped) return;
    stopped = true;
    clearInterval(poll);
    watcher?.close();
    void handle.close().catch(() => undefined);
  }

  void wake();
  return {
    catchUp: async () => {
      await wake();
      // A read that was running when we asked may have missed the newest bytes.
      await wake();
    },
    stop,
  };
}

import { EventEmitter } from 'events';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { handoffPaths, waitForHandoff } from './handoff';
import { LAUNCHER_UNPRIVILEGED_PORT_START } from '../api/kubevirt/v1/launcher-pod-layout';
import { DHCP_SERVER_PORT } from './network/dhcp/server';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the launcher marks itself waiting, removes a stale socket, and goes on once the resources are there', async () => {
  const p = handoffPaths(dir);
  fs.writeFileSync(p.socketPath, 'stale');
  const signals = new EventEmitter();
  const waiting = waitForHandoff(dir, signals);
  await new Promise((r) => setTimeout(r, 50));
  expect(fs.existsSync(p.waiting)).toBe(true);
  expect(fs.statSync(p.waiting).mode & 0o777).toBe(0o600);
  expect(fs.existsSync(p.socketPath)).toBe(false);
  fs.writeFileSync(p.resourcesFile, '{}');
  await expect(waiting).resolves.toEqual({ resourcesFile: p.resourcesFile, socketPath: p.socketPath });
  expect(signals.listenerCount('SIGTERM')).toBe(0);
});

test('SIGTERM before the handler came ends the wait with nothing to run', async () => {
  const signals = new EventEmitter();
  const waiting = waitForHandoff(dir, signals);
  await new Promise((r) => setTimeout(r, 50));
  signals.emit('SIGTERM');
  await expect(waiting).resolves.toBeUndefined();
});

test("the launcher pod lets the launcher bind its DHCP server's port without privileges", () => {
  expect(LAUNCHER_UNPRIVILEGED_PORT_START).toBeLessThanOrEqual(DHCP_SERVER_PORT);
});

import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { Routes } from '../../launcher/api/protocol';
import { DEFAULT_PROBE_SOCKET, guestAgentPing, probeTimeoutSeconds } from './probe';

/** A launcher control socket that answers guest-ping as `answer` says, recording the asked timeout. */
async function launcherSocket(
  answer: (timeoutMs: string | null) => { status: number; body: unknown },
): Promise<{ socket: string; asked: (string | null)[]; close: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-probe-'));
  const socket = path.join(dir, 'launcher.sock');
  const asked: (string | null)[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://launcher');
    if (req.method !== 'POST' || url.pathname !== Routes.guestPing) {
      res.writeHead(404).end('{}');
      return;
    }
    asked.push(url.searchParams.get('timeoutMs'));
    const a = answer(url.searchParams.get('timeoutMs'));
    res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    socket,
    asked,
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        }),
      ),
  };
}

describe('virtkit probe --guest-agent-ping (the exec kubelet runs for a guestAgentPing probe)', () => {
  it("passes when the launcher's guest agent answers, asking it within the probe's timeout", async () => {
    const l = await launcherSocket(() => ({ status: 200, body: { ok: true } }));
    try {
      expect(await guestAgentPing(l.socket, 3)).toEqual({ code: 0, message: '' });
      expect(l.asked).toEqual(['3000']);
    } finally {
      await l.close();
    }
  });

  it("fails with the launcher's reason when the agent does not answer", async () => {
    const l = await launcherSocket(() => ({
      status: 503,
      body: { error: { type: 'GuestAgentUnavailable', message: 'the guest agent is not connected' } },
    }));
    try {
      expect(await guestAgentPing(l.socket, 1)).toEqual({
        code: 1,
        message: 'guest agent ping failed: the guest agent is not connected',
      });
    } finally {
      await l.close();
    }
  });

  it('fails, naming the socket, when no launcher listens', async () => {
    const missing = path.join(os.tmpdir(), `vk-probe-none-${process.pid}.sock`);
    const r = await guestAgentPing(missing, 1);
    expect(r.code).toBe(1);
    expect(r.message).toMatch(/^guest agent ping failed: .*ENOENT/);
  });

  it("takes whole seconds and refuses anything else, naming the flag and the fix; its socket is the pod's", () => {
    expect(probeTimeoutSeconds('5')).toBe(5);
    for (const bad of ['0', '-1', '1.5', 'ten', '', '99999999'])
      expect(() => probeTimeoutSeconds(bad)).toThrow(
        `--timeout-seconds is ${JSON.stringify(bad)}; use a whole number of seconds from 1 to 86400`,
      );
    expect(DEFAULT_PROBE_SOCKET).toBe('/var/run/kubevirt/sockets/launcher.sock');
  });
});

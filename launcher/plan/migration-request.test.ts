import { BLOCK_MIGRATION_PORT, MIGRATION_PORT, type MigrationStartRequest } from '../api/protocol';
import {
  checkIncomingRequest,
  checkStartRequest,
  MigrationRequestError,
  reconcileMirroredDisks,
} from './migration-request';

const VMI = 'VirtualMachineInstance prod/web';

const start: MigrationStartRequest = {
  address: '10.244.1.7',
  migrationPort: MIGRATION_PORT,
  blockPort: BLOCK_MIGRATION_PORT,
  mirroredDisks: ['root'],
  options: {
    bandwidthBytesPerSecond: 0,
    allowAutoConverge: false,
    allowPostCopy: false,
    completionTimeoutPerGiB: 150,
    progressTimeoutSeconds: 150,
    maxDowntimeMs: 300,
  },
};

function refusal(fn: () => unknown): MigrationRequestError {
  try {
    fn();
  } catch (e) {
    if (e instanceof MigrationRequestError) return e;
    throw e;
  }
  throw new Error('expected a MigrationRequestError');
}

describe('migration request checks', () => {
  it("incoming: an IP literal, KubeVirt's ports unless told otherwise (0: pick a free one)", () => {
    expect(checkIncomingRequest({ address: '10.244.1.7', allowPostCopy: true }, VMI)).toEqual({
      transport: 'tcp',
      address: '10.244.1.7',
      allowPostCopy: true,
      migrationPort: 49152,
      blockPort: 49153,
    });
    expect(
      checkIncomingRequest({ address: 'fd00::7', allowPostCopy: false, migrationPort: 0, blockPort: 0 }, VMI),
    ).toMatchObject({ migrationPort: 0, blockPort: 0 });
  });

  it('incoming: every problem at once, each with its field, value and fix', () => {
    const e = refusal(() =>
      checkIncomingRequest({ address: 'node-1; rm -rf /', allowPostCopy: 'yes', migrationPort: 70000 }, VMI),
    );
    expect(e.message).toContain(`incoming migration of ${VMI} refused (3 problems)`);
    expect(e.problems.map((p) => p.field)).toEqual(['address', 'allowPostCopy', 'migrationPort']);
    expect(e.message).toMatch(/address = "node-1; rm -rf \/": must be an IP address literal/);
    expect(e.message).toMatch(/migrationPort = 70000: must be a TCP port from 0 to 65535/);
    expect(
      refusal(() => checkIncomingRequest({ address: '0.0.0.0', allowPostCopy: false }, VMI)).message,
    ).toMatch(/not the unspecified address/);
    expect(refusal(() => checkIncomingRequest({ address: '::', allowPostCopy: false }, VMI)).message).toMatch(
      /not the unspecified address/,
    );
    expect(refusal(() => checkIncomingRequest(undefined, VMI)).problems[0]!.field).toBe('(body)');
    expect(
      refusal(() => checkIncomingRequest({ address: '10.0.0.1\n', allowPostCopy: false }, VMI)).message,
    ).toContain('"10.0.0.1\\x0a"');
  });

  it('start: a well-formed request passes as it is (tcp unless told otherwise)', () => {
    expect(checkStartRequest(start, VMI)).toEqual({ transport: 'tcp', ...start });
  });

  it('unix transport: QEMU uses the sockets of its own directory, so addresses and ports must be left out', () => {
    expect(checkIncomingRequest({ transport: 'unix', allowPostCopy: true }, VMI)).toEqual({
      transport: 'unix',
      address: '',
      allowPostCopy: true,
      migrationPort: 0,
      blockPort: 0,
    });
    const { address: _a, migrationPort: _m, blockPort: _b, ...rest } = start;
    expect(checkStartRequest({ ...rest, transport: 'unix' }, VMI)).toEqual({ ...rest, transport: 'unix' });
    const e = refusal(() =>
      checkIncomingRequest(
        { transport: 'unix', address: '10.0.0.1', blockPort: 1, allowPostCopy: false },
        VMI,
      ),
    );
    expect(e.problems.map((p) => p.field)).toEqual(['address', 'blockPort']);
    expect(e.message).toMatch(/must be left out with transport "unix"/);
    expect(refusal(() => checkStartRequest({ ...start, transport: 'ssh' }, VMI)).message).toMatch(
      /transport = "ssh": must be "tcp" or "unix"/,
    );
  });

  it('start: bad ports, disk names and options are all reported', () => {
    const e = refusal(() =>
      checkStartRequest(
        {
          address: '10.244.1.7',
          migrationPort: 0,
          blockPort: -1,
          mirroredDisks: ['root', '../etc', 7],
          options: {
            ...start.options,
            bandwidthBytesPerSecond: -5,
            allowPostCopy: 1,
            maxDowntimeMs: 0,
            progressTimeoutSeconds: 1.5,
          },
        },
        VMI,
      ),
    );
    expect(e.problems.map((p) => p.field)).toEqual([
      'mirroredDisks[1]',
      'mirroredDisks[2]',
      'migrationPort',
      'blockPort',
      'options.bandwidthBytesPerSecond',
      'options.allowPostCopy',
      'options.progressTimeoutSeconds',
      'options.maxDowntimeMs',
    ]);
    expect(e.message).toMatch(
      /options\.maxDowntimeMs = 0: must be a whole number of milliseconds from 1 to 2000000/,
    );
    expect(refusal(() => checkStartRequest({ ...start, options: undefined }, VMI)).problems[0]!.field).toBe(
      'options',
    );
  });

  it("the source's own plan decides the disks; a differing list or a missing block port is refused", () => {
    expect(
      reconcileMirroredDisks(['root', 'scratch'], { ...start, mirroredDisks: ['scratch', 'root'] }, VMI),
    ).toEqual(['root', 'scratch']);
    // An empty list leaves it to the source's plan.
    expect(reconcileMirroredDisks(['root'], { ...start, mirroredDisks: [] }, VMI)).toEqual(['root']);
    expect(reconcileMirroredDisks([], { ...start, blockPort: undefined, mirroredDisks: [] }, VMI)).toEqual(
      [],
    );
    expect(() => reconcileMirroredDisks(['root', 'scratch'], start, VMI)).toThrow(
      /mirroredDisks = \["root"\]: must name the disks this VMI keeps on node-local files \(root, scratch\)/,
    );
    expect(() => reconcileMirroredDisks(['root'], { ...start, blockPort: undefined }, VMI)).toThrow(
      /blockPort: is required: disks root live on this node/,
    );
  });
});

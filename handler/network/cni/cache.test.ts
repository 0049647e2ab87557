import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  cacheFile,
  listCacheRecords,
  readCacheRecord,
  recordConfig,
  removeCacheRecord,
  writeCacheRecord,
  type CacheRecord,
} from './cache';
import { CniCacheError, CniConfigError } from './errors';

const record: CacheRecord = {
  kind: 'virtkitCniCacheV1',
  networkName: 'virtkit',
  containerId: '6a1f2c3d-0000-4000-8000-000000000001',
  ifName: 'eth0',
  netns: 'vk-12345678-abcdefabcdef',
  pod: { namespace: 'default', name: 'virt-launcher-a', uid: '6a1f2c3d-0000-4000-8000-000000000001' },
  config: { cniVersion: '1.0.0', name: 'virtkit', plugins: [{ type: 'bridge' }] },
  configSource: '/state/cni/net.d/10-virtkit.conflist',
  capabilityArgs: { portMappings: [] },
  result: { cniVersion: '1.0.0', ips: [{ address: '10.244.0.2/24' }] },
};

describe('the result cache', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-cni-cache-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps one file per network, container and interface under results/', () => {
    expect(cacheFile('/var/lib/virtkit/cni', 'virtkit', 'uid-1', 'eth0')).toBe(
      '/var/lib/virtkit/cni/results/virtkit-uid-1-eth0.json',
    );
  });

  it('writes atomically with mode 0600 and reads back what was written', () => {
    const file = writeCacheRecord(dir, record);
    expect(file).toBe(cacheFile(dir, 'virtkit', record.containerId, 'eth0'));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(file))).toEqual([path.basename(file)]);
    expect(readCacheRecord(file)).toEqual(record);
    // Overwriting (the record with its result replaces the intent) leaves one file.
    const { result: _result, ...intent } = record;
    writeCacheRecord(dir, intent);
    expect(readCacheRecord(file)).toEqual(intent);
    expect(fs.readdirSync(path.dirname(file))).toHaveLength(1);
  });

  it('keeps the plugin folders ADD ran with, and refuses folders that are not absolute', () => {
    const withDirs: CacheRecord = {
      ...record,
      pluginDirs: ['/usr/lib/cni', '/root/.cache/virtkit/cni/whereabouts-v0.9.2'],
    };
    const file = writeCacheRecord(dir, withDirs);
    expect(readCacheRecord(file)).toEqual(withDirs);
    for (const pluginDirs of [['relative'], '/usr/lib/cni', [1]]) {
      fs.writeFileSync(file, JSON.stringify({ ...withDirs, pluginDirs }));
      expect(() => readCacheRecord(file)).toThrow('has pluginDirs that are not absolute folders');
    }
  });

  it("keeps a secondary attachment's name and ADD order, and refuses bad ones", () => {
    const secondary: CacheRecord = { ...record, ifName: 'net1', attachment: 'rt-multus/br-a', index: 1 };
    const file = writeCacheRecord(dir, secondary);
    expect(readCacheRecord(file)).toEqual(secondary);
    for (const bad of [{ attachment: '' }, { index: -1 }, { index: 1.5 }]) {
      fs.writeFileSync(file, JSON.stringify({ ...secondary, ...bad }));
      expect(() => readCacheRecord(file)).toThrow(CniCacheError);
    }
  });

  it('reads the cached configuration back as a validated list naming the cache file', () => {
    const file = writeCacheRecord(dir, record);
    expect(recordConfig(record, file).plugins).toEqual([{ type: 'bridge' }]);
    expect(() => recordConfig({ ...record, config: { name: 'virtkit', plugins: [] } }, file)).toThrow(
      CniConfigError,
    );
    expect(() => recordConfig({ ...record, config: { name: 'virtkit', plugins: [] } }, file)).toThrow(
      `(as cached in ${file})`,
    );
  });

  it('lists records, reports broken files and sweeps stale temporary files (not one being written)', () => {
    const good = writeCacheRecord(dir, record);
    fs.writeFileSync(path.join(dir, 'results', 'broken.json'), '{"kind":');
    fs.writeFileSync(path.join(dir, 'results', 'other.json'), '{"kind":"somethingElse"}');
    fs.writeFileSync(path.join(dir, 'results', '.x.json.abc.tmp'), 'half');
    const old = new Date(Date.now() - 120_000);
    fs.utimesSync(path.join(dir, 'results', '.x.json.abc.tmp'), old, old);
    fs.writeFileSync(path.join(dir, 'results', '.y.json.def.tmp'), 'being written');
    const listing = listCacheRecords(dir);
    expect(listing.records).toEqual([{ file: good, record }]);
    expect(listing.broken.map((b) => path.basename(b.file))).toEqual(['broken.json', 'other.json']);
    expect(listing.broken.every((b) => b.error instanceof CniCacheError)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'results', '.x.json.abc.tmp'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'results', '.y.json.def.tmp'))).toBe(true);
  });

  it('treats a missing file or directory as no record', () => {
    expect(readCacheRecord(path.join(dir, 'results', 'none.json'))).toBeUndefined();
    expect(listCacheRecords(path.join(dir, 'nothing'))).toEqual({ records: [], broken: [] });
    removeCacheRecord(path.join(dir, 'results', 'none.json'));
  });
});

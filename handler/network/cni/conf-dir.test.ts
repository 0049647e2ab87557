import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { configFileNames, loadDefaultNetwork } from './conf-dir';
import { CniConfigError, CniConfigMissingError } from './errors';

describe('the configuration directory', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-cni-confdir-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, doc: unknown) =>
    fs.writeFileSync(path.join(dir, name), typeof doc === 'string' ? doc : JSON.stringify(doc));

  it('orders .conflist, .conf and .json files lexically and ignores the rest', () => {
    expect(
      configFileNames(['99-z.conf', 'README', '10-a.conflist', '50-m.json', '.conf', '05-x.conf.bak']),
    ).toEqual(['10-a.conflist', '50-m.json', '99-z.conf']);
  });

  it('loads the first file, converting a single .conf', () => {
    write('20-list.conflist', { cniVersion: '1.0.0', name: 'second', plugins: [{ type: 'bridge' }] });
    write('10-single.conf', { cniVersion: '0.3.1', name: 'first', type: 'ptp' });
    const list = loadDefaultNetwork(dir);
    expect(list.name).toBe('first');
    expect(list.source).toBe(path.join(dir, '10-single.conf'));
  });

  it('refuses a broken first file instead of falling through to the next', () => {
    write('10-broken.conflist', '{ not json');
    write('20-good.conflist', { cniVersion: '1.0.0', name: 'good', plugins: [{ type: 'bridge' }] });
    expect(() => loadDefaultNetwork(dir)).toThrow(CniConfigError);
    expect(() => loadDefaultNetwork(dir)).toThrow(path.join(dir, '10-broken.conflist'));
  });

  it('says what to do when there is no configuration', () => {
    expect(() => loadDefaultNetwork(dir)).toThrow(CniConfigMissingError);
    expect(() => loadDefaultNetwork(path.join(dir, 'missing'))).toThrow(
      /no CNI network configuration in .*write a \.conflist/,
    );
  });
});

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { networkConfigListFrom } from '../cni/conflist';
import { CniConfigError, CniPluginNotFoundError } from '../cni/errors';
import {
  whereaboutsFiles,
  whereaboutsFlatFile,
  whereaboutsKubeconfig,
  whereaboutsNetworks,
  withNodeWhereabouts,
} from './config';
import { writeWhereaboutsFiles } from './files';

const files = whereaboutsFiles('/var/lib/virtkit');

const list = (doc: Record<string, unknown>) =>
  networkConfigListFrom(doc, 'NetworkAttachmentDefinition ns/wb spec.config');

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
  - name: local
    cluster: { server: https://127.0.0.1:6443, certificate-authority: pki/ca.crt }
users:
  - name: wb
    user: { client-certificate-data: Y2VydA==, client-key: /abs/wb.key }
contexts:
  - name: other
    context: { cluster: local, user: wb, namespace: default }
  - name: local
    context: { cluster: local, user: wb, namespace: default }
current-context: local
`;

describe('whereabouts on the node', () => {
  it('keeps its files under the state dir', () => {
    expect(files).toEqual({
      dir: '/var/lib/virtkit/cni/whereabouts.d',
      flatFile: '/var/lib/virtkit/cni/whereabouts.d/whereabouts.conf',
      kubeconfig: '/var/lib/virtkit/cni/whereabouts.d/whereabouts.kubeconfig',
    });
    expect(JSON.parse(whereaboutsFlatFile(files))).toEqual({
      datastore: 'kubernetes',
      kubernetes: { kubeconfig: files.kubeconfig },
    });
  });

  it("points a NAD's whereabouts IPAM at the node's flat file and drops the node-local paths it named", () => {
    const nad = list({
      cniVersion: '0.3.1',
      name: 'wb',
      type: 'bridge',
      bridge: 'br-wb',
      ipam: {
        type: 'whereabouts',
        range: '10.5.0.0/24',
        exclude: ['10.5.0.0/30'],
        log_file: '/etc/nologin',
        log_level: 'debug',
        configuration_path: '/etc/shadow',
        kubernetes: { kubeconfig: '/etc/kubernetes/admin.conf' },
      },
    });
    const out = withNodeWhereabouts(nad, files);
    expect(out.plugins[0].ipam).toEqual({
      type: 'whereabouts',
      range: '10.5.0.0/24',
      exclude: ['10.5.0.0/30'],
      log_level: 'debug',
      configuration_path: files.flatFile,
    });
    expect(out.plugins[0]).toMatchObject({ type: 'bridge', bridge: 'br-wb' });
    expect(nad.plugins[0].ipam).toMatchObject({ configuration_path: '/etc/shadow' }); // not mutated
    // Without the node's files, the paths still go: whereabouts uses its default flat file.
    expect(withNodeWhereabouts(nad).plugins[0].ipam).not.toHaveProperty('configuration_path');
    expect(withNodeWhereabouts(nad).plugins[0].ipam).not.toHaveProperty('log_file');
  });

  it('leaves other IPAM alone and refuses node slices, naming the field', () => {
    const hostLocal = list({
      cniVersion: '0.3.1',
      name: 'h',
      type: 'bridge',
      ipam: { type: 'host-local', subnet: '10.1.0.0/24' },
    });
    expect(withNodeWhereabouts(hostLocal, files)).toBe(hostLocal);
    const sliced = list({
      cniVersion: '1.0.0',
      name: 's',
      plugins: [
        { type: 'tuning' },
        {
          type: 'macvlan',
          master: 'eth0',
          ipam: { type: 'whereabouts', range: '10.6.0.0/16', node_slice_size: '/24' },
        },
      ],
    });
    const e = (() => {
      try {
        withNodeWhereabouts(sliced, files);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(CniConfigError);
    expect((e as Error).message).toContain('$.plugins[1].ipam.node_slice_size "/24": is not supported');
    expect((e as CniConfigError).reason).toBe('InvalidNetworkConfig');
  });

  it("applies to a pod's default network and every attachment", () => {
    const wb = list({
      cniVersion: '0.3.1',
      name: 'wb',
      type: 'bridge',
      ipam: { type: 'whereabouts', range: '10.5.0.0/24' },
    });
    const out = whereaboutsNetworks(
      {
        defaultNetwork: { name: 'ns/wb', list: wb },
        attachments: [{ name: 'ns/wb', list: wb, ifName: 'net1' }],
      },
      files,
    );
    expect(out.defaultNetwork?.list.plugins[0].ipam).toMatchObject({ configuration_path: files.flatFile });
    expect(out.attachments[0]).toMatchObject({ name: 'ns/wb', ifName: 'net1' });
    expect(out.attachments[0].list.plugins[0].ipam).toMatchObject({ configuration_path: files.flatFile });
  });

  it("copies the identity's kubeconfig into whereabouts' namespace, relative files made absolute", () => {
    const out = parse(whereaboutsKubeconfig(KUBECONFIG, '/s/config/wb.kubeconfig')) as {
      contexts: { name: string; context: { namespace: string } }[];
      clusters: { cluster: Record<string, string> }[];
      users: { user: Record<string, string> }[];
    };
    expect(out.contexts.map((c) => [c.name, c.context.namespace])).toEqual([
      ['other', 'default'],
      ['local', 'kube-system'],
    ]);
    expect(out.clusters[0].cluster['certificate-authority']).toBe('/s/config/pki/ca.crt');
    expect(out.users[0].user['client-key']).toBe('/abs/wb.key');
    expect(() => whereaboutsKubeconfig('current-context: x\ncontexts: []\n', '/k')).toThrow(
      'whereabouts kubeconfig /k: current-context "x" is not one of its contexts',
    );
    expect(() => whereaboutsKubeconfig('[1', '/k')).toThrow('whereabouts kubeconfig /k: not YAML');
  });

  it('a missing whereabouts binary names the script that builds it', () => {
    expect(new CniPluginNotFoundError('whereabouts', ['/usr/lib/cni'], 'wb').message).toBe(
      'plugin "whereabouts" of network "wb" not found in /usr/lib/cni; run scripts/build-whereabouts.sh ' +
        "(local mode's handler searches its cache folder) or put the plugin binary in one of those directories",
    );
  });

  it('writes both files 0600 in a 0700 folder, again on the next start', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-wb-'));
    try {
      const source = path.join(root, 'wb.kubeconfig');
      fs.writeFileSync(source, KUBECONFIG);
      const state = path.join(root, 'state');
      for (let i = 0; i < 2; i++) {
        const f = writeWhereaboutsFiles(state, source);
        expect(fs.statSync(f.dir).mode & 0o777).toBe(0o700);
        expect(fs.statSync(f.kubeconfig).mode & 0o777).toBe(0o600);
        expect(fs.statSync(f.flatFile).mode & 0o777).toBe(0o600);
        expect(fs.readdirSync(f.dir).sort()).toEqual(['whereabouts.conf', 'whereabouts.kubeconfig']);
      }
      expect(() => writeWhereaboutsFiles(state, path.join(root, 'missing'))).toThrow(/cannot be read/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

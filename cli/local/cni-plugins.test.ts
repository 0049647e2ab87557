import * as fs from 'fs';
import * as path from 'path';
import { handlerCniArgs } from './components';
import { layout } from './layout';
import { localCniPluginDirs, WHEREABOUTS_VERSION, whereaboutsPluginDir } from './cni-plugins';

describe('local CNI plugin folders', () => {
  test('the pinned whereabouts version is the one tools/whereabouts/go.mod requires', () => {
    const gomod = fs.readFileSync(path.join(__dirname, '../../tools/whereabouts/go.mod'), 'utf8');
    expect(gomod).toMatch(
      new RegExp(
        `^require github\\.com/k8snetworkplumbingwg/whereabouts ${WHEREABOUTS_VERSION.replace(/\./g, '\\.')}$`,
        'm',
      ),
    );
  });

  test('the system folders first, then the whereabouts build cache, keyed by version', () => {
    expect(whereaboutsPluginDir()).toMatch(
      new RegExp(`/cni/whereabouts-${WHEREABOUTS_VERSION.replace(/\./g, '\\.')}$`),
    );
    expect(localCniPluginDirs({})).toEqual(['/usr/lib/cni', '/opt/cni/bin', whereaboutsPluginDir()]);
    expect(localCniPluginDirs({ VIRTKIT_CNI_PLUGIN_DIRS: '/opt/x:rel' })).toEqual([
      '/opt/x',
      whereaboutsPluginDir(),
    ]);
  });

  test("the handler gets them as flags, whereabouts' own kubeconfig by path, and a tunnel port of its own", () => {
    const args = handlerCniArgs(layout('/s'), {});
    expect(args).toEqual([
      '--cni-plugin-dir',
      '/usr/lib/cni',
      '--cni-plugin-dir',
      '/opt/cni/bin',
      '--cni-plugin-dir',
      whereaboutsPluginDir(),
      '--whereabouts-kubeconfig',
      '/s/config/virtkit-whereabouts.kubeconfig',
      // Local nodes share one address: each handler picks a Kube-OVN tunnel port of its own.
      '--kube-ovn-tunnel-port',
      '0',
    ]);
  });
});

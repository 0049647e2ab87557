import { parsePortSpec, parseTarget } from './port-forward';
import {
  parseScpOperand,
  parseSshTarget,
  proxyCommandOption,
  scpArgs,
  shellQuote,
  sshArgs,
  type SshFlags,
} from './ssh';

const flags = (f: Partial<SshFlags> = {}): SshFlags => ({ port: '22', localSshOpts: [], ...f });
const ctx = {
  virtkit: ['/usr/bin/node', '/opt/virtkit/bin/virtkit.js'],
  namespace: 'dev',
  env: { USER: 'jdoe' },
};

describe('port-forward arguments, as virtctl reads them', () => {
  test('TYPE/NAME[/NAMESPACE] with every spelling of the kinds', () => {
    expect(parseTarget('vm/web')).toEqual({ kind: 'vm', name: 'web', namespace: undefined });
    expect(parseTarget('VirtualMachineInstances/web/prod')).toEqual({
      kind: 'vmi',
      name: 'web',
      namespace: 'prod',
    });
    for (const [bad, why] of [
      ['web', /TYPE\/NAME\[\/NAMESPACE\]/],
      ['pod/web', /unsupported resource type 'pod'; use vm or vmi/],
      ['vm/', /the name is empty/],
      ['vm/web/', /the namespace is empty/],
      ['vm/a/b/c', /at most two '\/'/],
    ] as const)
      expect(() => parseTarget(bad)).toThrow(why);
  });

  test('[tcp/]LOCAL[:REMOTE]: one number is both ports; 0 picks a free local port', () => {
    expect(parsePortSpec('8080')).toEqual({ local: 8080, remote: 8080, protocol: 'tcp' });
    expect(parsePortSpec('tcp/0:22')).toEqual({ local: 0, remote: 22, protocol: 'tcp' });
    for (const [bad, why] of [
      ['udp/53', /udp is not supported by virtkit yet/],
      ['sctp/1', /protocol must be tcp/],
      ['0', /local port 0 needs a remote port/],
      ['80:0', /remote port must be a number from 1 to 65535/],
      ['70000', /local port must be a number from 0 to 65535, got "70000"/],
      ['1:2:3', /LOCAL or LOCAL:REMOTE/],
      [':22', /LOCAL or LOCAL:REMOTE/],
    ] as const)
      expect(() => parsePortSpec(bad)).toThrow(why);
  });
});

describe('virtkit ssh and scp build the OpenSSH command line', () => {
  test('ssh: a ProxyCommand running virtkit port-forward --stdio, the host TYPE.NAME.NAMESPACE', () => {
    const args = sshArgs(
      parseSshTarget('root@vm/web'),
      flags({ identityFile: '/k/id', command: 'uptime' }),
      ctx,
    );
    expect(args).toEqual([
      '-o',
      'ProxyCommand=/usr/bin/node /opt/virtkit/bin/virtkit.js port-forward --stdio vm/web/dev 22',
      '-i',
      '/k/id',
      'root@vm.web.dev',
      'uptime',
    ]);
  });

  test('ssh: the user comes from USER@, else -l, else $USER; -p, --known-hosts, -t and the kubeconfig pass on', () => {
    const args = sshArgs(
      parseSshTarget('vmi/db/prod'),
      flags({
        port: '2222',
        knownHosts: '/home/j/.ssh/kubevirt_known_hosts',
        localSshOpts: ['-o StrictHostKeyChecking=no'],
        kubeconfig: '/home/j/my kube/config',
        context: 'lab',
      }),
      ctx,
    );
    expect(args).toEqual([
      '-o',
      "ProxyCommand=/usr/bin/node /opt/virtkit/bin/virtkit.js port-forward --stdio vmi/db/prod 2222 --kubeconfig '/home/j/my kube/config' --context lab",
      '-o',
      'UserKnownHostsFile=/home/j/.ssh/kubevirt_known_hosts',
      '-o StrictHostKeyChecking=no',
      'jdoe@vmi.db.prod',
    ]);
    expect(sshArgs(parseSshTarget('vm/web'), flags({ username: 'ops' }), ctx).at(-1)).toBe('ops@vm.web.dev');
    expect(sshArgs(parseSshTarget('vm/web'), flags(), { ...ctx, env: {} }).at(-1)).toBe('vm.web.dev');
  });

  test("the ProxyCommand is safe for the shell and for ssh's %-tokens", () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('$(reboot)')).toBe(`'$(reboot)'`);
    const opt = proxyCommandOption({
      virtkit: ['node', '/x/virtkit.js'],
      target: { kind: 'vm', name: 'web' },
      namespace: 'dev',
      port: 22,
      kubeconfig: '/tmp/100%/$HOME;rm -rf ~',
    });
    expect(opt).toBe(
      "ProxyCommand=node /x/virtkit.js port-forward --stdio vm/web/dev 22 --kubeconfig '/tmp/100%%/$HOME;rm -rf ~'",
    );
  });

  test('scp: one operand names the VM; the other is local', () => {
    expect(parseScpOperand('./a:b')).toBeUndefined();
    expect(parseScpOperand('/tmp/x')).toBeUndefined();
    expect(parseScpOperand('root@vm/web/prod:/etc/hosts')).toEqual({
      target: { kind: 'vm', name: 'web', namespace: 'prod', user: 'root' },
      path: '/etc/hosts',
    });
    expect(scpArgs('vm/web:/var/log', './logs', flags({ recursive: true, preserve: true }), ctx)).toEqual([
      '-o',
      'ProxyCommand=/usr/bin/node /opt/virtkit/bin/virtkit.js port-forward --stdio vm/web/dev 22',
      '-r',
      '-p',
      'jdoe@vm.web.dev:/var/log',
      './logs',
    ]);
    expect(() => scpArgs('a', 'b', flags(), ctx)).toThrow(/name the VM in SRC or DST/);
    expect(() => scpArgs('vm/a:/x', 'vm/b:/y', flags(), ctx)).toThrow(
      /from one VM to another is not supported/,
    );
    expect(() => sshArgs(parseSshTarget('@vm/web'), flags(), ctx)).toThrow(/user name before '@'/);
    expect(() => sshArgs(parseSshTarget('vm/web'), flags({ port: '0' }), ctx)).toThrow(/--port "0"/);
  });
});

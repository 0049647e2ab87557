/** `virtkit install`: the flags a user types, the two output formats, and bad flags named as typed. */
import { parseAllDocuments } from 'yaml';
import { installObjectKey, renderInstall } from '../../api/install';
import { buildProgram } from '../main';
import { installOptionsOf, register } from './install';
import { runInProcess } from './run-in-process.test-helper';

type Json = Record<string, unknown>;
const run = (...args: string[]) => runInProcess(register, ['install', ...args]);

test('`virtkit install` is a command of virtkit', async () => {
  expect((await buildProgram(['install'])).commands.map((c) => c.name())).toEqual(['install']);
});

test('prints the install as multi-document YAML by default, in apply order', async () => {
  const r = await run();
  expect(r.code).toBe(0);
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Json);
  expect(docs.map(installObjectKey)).toEqual(renderInstall().map(installObjectKey));
  expect(docs[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'virtkit' } });
  expect(docs.at(-1)).toMatchObject({ kind: 'APIService' });
});

test('-o json prints one v1 List that kubectl apply takes as it takes the YAML', async () => {
  const r = await run('-o', 'json', '--namespace', 'vk');
  expect(r.code).toBe(0);
  const list = JSON.parse(r.stdout) as { apiVersion: string; kind: string; items: Json[] };
  expect([list.apiVersion, list.kind]).toEqual(['v1', 'List']);
  expect(list.items).toEqual(JSON.parse(JSON.stringify(renderInstall({ namespace: 'vk' }))));
});

test('the flags become the options, a comma-separated list of gates and counts as numbers', () => {
  expect(
    installOptionsOf({
      output: 'yaml',
      namespace: 'vk',
      tag: '1.0.0',
      controllerReplicas: '3',
      apiReplicas: 'two',
      certificates: 'cert-manager',
      featureGates: 'HostDisk, GPU,',
      withNetworkCrds: true,
      withVolumeSnapshotCrds: false,
    }),
  ).toEqual({
    namespace: 'vk',
    tag: '1.0.0',
    controllerReplicas: 3,
    apiReplicas: 'two',
    certificates: 'cert-manager',
    featureGates: ['HostDisk', 'GPU'],
    withNetworkCrds: true,
  });
});

test('bad flags are refused together, each named as typed, with the value and the fix', async () => {
  // main.ts prints the error's message as one line per problem and exits 1.
  await expect(
    (async () => {
      const program = await buildProgram(['install']);
      await program.parseAsync(
        ['install', '--namespace', 'Bad', '--api-replicas', 'two', '--feature-gates', 'Nope'],
        {
          from: 'user',
        },
      );
    })(),
  ).rejects.toThrow(
    /invalid install options \(3 problems\):\n {2}- --namespace: "Bad" must be a lowercase RFC 1123 label.*\n {2}- --api-replicas: "two" is not a whole number from 1 to 10.*\n {2}- --feature-gates: "Nope" is not a feature gate virtkit knows; give one of HostDisk/,
  );
});

test('an unknown output format is refused with the formats there are', async () => {
  const program = await buildProgram(['install']);
  await expect(program.parseAsync(['install', '-o', 'xml'], { from: 'user' })).rejects.toThrow(
    '--output "xml": not a format; give yaml or json',
  );
});

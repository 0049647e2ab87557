import {
  APISERVICE_NAME,
  apiServiceAvailability,
  localApiServiceObject,
  subresourcesApiService,
} from './registration';
import { SUBRESOURCES_GROUP } from '../../api/install/api-services';
import { SUBRESOURCES_GROUP as KUBE_SUBRESOURCES_GROUP } from '../../kube/resources';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

test("the APIService v1.subresources.kubevirt.io: KubeVirt's priorities, the Service, the CA", () => {
  expect(subresourcesApiService({ port: 34567, caBundlePem: PEM })).toEqual({
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: {
      name: 'v1.subresources.kubevirt.io',
      labels: { 'app.kubernetes.io/part-of': 'virtkit', 'app.kubernetes.io/component': 'virtkit-api' },
    },
    spec: {
      group: 'subresources.kubevirt.io',
      version: 'v1',
      groupPriorityMinimum: 1000,
      versionPriority: 15,
      service: { namespace: 'virtkit', name: 'virtkit-api', port: 34567 },
      caBundle: Buffer.from(PEM).toString('base64'),
    },
  });
  expect(APISERVICE_NAME).toBe('v1.subresources.kubevirt.io');
  expect(() => subresourcesApiService({ port: 1, caBundlePem: 'nope' })).toThrow(/PEM/);
});

test("local mode's Service: ExternalName localhost on the api's port", () => {
  expect(localApiServiceObject({ port: 34567 })).toMatchObject({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'virtkit-api', namespace: 'virtkit' },
    spec: { type: 'ExternalName', externalName: 'localhost', ports: [{ port: 34567, protocol: 'TCP' }] },
  });
});

test('Available is read from the conditions, with the reason when it is not', () => {
  expect(apiServiceAvailability({})).toEqual({
    available: false,
    message: 'the aggregator has not judged it yet',
  });
  const cond = (status: string) => ({
    status: {
      conditions: [
        { type: 'Available', status, reason: 'FailedDiscoveryCheck', message: 'failing or missing response' },
      ],
    },
  });
  expect(apiServiceAvailability(cond('False'))).toEqual({
    available: false,
    message: 'FailedDiscoveryCheck: failing or missing response',
  });
  expect(apiServiceAvailability(cond('True')).available).toBe(true);
});

test("the APIService names the group the client speaks to (api/ keeps its own copy of kube/'s constant)", () => {
  expect(SUBRESOURCES_GROUP).toBe(KUBE_SUBRESOURCES_GROUP);
});

test("without a CA the APIService carries no caBundle (cluster mode's, written at run time)", () => {
  const o = subresourcesApiService({
    port: 443,
    annotations: { 'cert-manager.io/inject-ca-from': 'virtkit/virtkit-api' },
  }) as {
    metadata: { annotations?: Record<string, string> };
    spec: Record<string, unknown>;
  };
  expect('caBundle' in o.spec).toBe(false);
  expect(o.metadata.annotations).toEqual({ 'cert-manager.io/inject-ca-from': 'virtkit/virtkit-api' });
});

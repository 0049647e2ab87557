import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  findUploadProxyUrl,
  parseUploadRequest,
  processingFailure,
  proxyUrlOf,
  uploadClaim,
  uploadDataVolume,
  uploadPathFor,
  UploadUsageError,
} from './image-upload';

describe('virtkit image-upload flags', () => {
  it('take virtctl’s forms', () => {
    expect(parseUploadRequest(['dv', 'disk'], { imagePath: '/i.qcow2', size: '10Gi' })).toMatchObject({
      kind: 'dv',
      name: 'disk',
      size: '10Gi',
      noCreate: false,
      waitSeconds: 300,
      insecure: false,
    });
    expect(
      parseUploadRequest(['PVC', 'disk'], {
        imagePath: '/i',
        noCreate: true,
        uploadproxyUrl: 'proxy.example:443',
        waitSecs: '5',
      }),
    ).toMatchObject({
      kind: 'pvc',
      noCreate: true,
      uploadProxyUrl: 'https://proxy.example:443',
      waitSeconds: 5,
    });
  });
  it('gather every problem into one usage error', () => {
    let err: unknown;
    try {
      parseUploadRequest(['vm', 'Bad_Name'], {
        accessMode: 'ReadOnlyMany',
        volumeMode: 'tape',
        size: 'big',
        waitSecs: '-1',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UploadUsageError);
    const m = (err as Error).message;
    for (const part of [
      'invalid resource type vm',
      'not a valid DataVolume/PersistentVolumeClaim name',
      '--image-path is required',
      'validation failed for size=big',
      'cannot upload to a readonly volume',
      '--volume-mode tape',
      '--wait-secs -1',
    ])
      expect(m).toContain(part);
  });
  it('need a size unless --no-create', () => {
    expect(() => parseUploadRequest(['dv', 'd'], { imagePath: '/i' })).toThrow(/the size must be specified/);
  });
  it('refuse a plain-HTTP proxy', () => {
    expect(() => proxyUrlOf('http://x')).toThrow(/speaks HTTPS/);
  });
});

describe('what image-upload creates', () => {
  const r = parseUploadRequest(['dv', 'disk'], {
    imagePath: '/i',
    size: '1Gi',
    storageClass: 'local',
    accessMode: 'ReadWriteOnce',
    volumeMode: 'block',
    forceBind: true,
  });
  it('a DataVolume with source.upload', () => {
    expect(uploadDataVolume(r, 'ns')).toEqual({
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      metadata: {
        name: 'disk',
        namespace: 'ns',
        annotations: { 'cdi.kubevirt.io/storage.bind.immediate.requested': '' },
      },
      spec: {
        source: { upload: {} },
        storage: {
          resources: { requests: { storage: '1Gi' } },
          storageClassName: 'local',
          accessModes: ['ReadWriteOnce'],
          volumeMode: 'Block',
        },
      },
    });
  });
  it("a claim with CDI's upload annotations", () => {
    const c = uploadClaim(r, 'ns') as { metadata: { annotations: Record<string, string> } };
    expect(c.metadata.annotations).toMatchObject({
      'cdi.kubevirt.io/storage.upload.target': '',
      'cdi.kubevirt.io/storage.contentType': 'kubevirt',
    });
  });
});

describe('the upload proxy URL', () => {
  it('comes from the flag, else local mode’s state folder, else a clear error', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-up-url-'));
    try {
      expect(await findUploadProxyUrl(undefined, 'https://a:1', dir)).toBe('https://a:1');
      await expect(findUploadProxyUrl(undefined, undefined, dir)).rejects.toThrow(
        /uploadproxy URL not found/,
      );
      fs.writeFileSync(path.join(dir, 'upload-proxy-url'), 'https://127.0.0.1:8443\n');
      expect(await findUploadProxyUrl(undefined, undefined, dir)).toBe('https://127.0.0.1:8443');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('how image-upload sends and waits', () => {
  it('uploads on the async path unless the proxy says it has none (virtctl’s probe)', () => {
    expect(uploadPathFor(200)).toBe('/v1beta1/upload-async');
    // A refused or failed probe keeps async: the upload gets the proxy's real answer.
    for (const status of [401, 503, undefined]) expect(uploadPathFor(status)).toBe('/v1beta1/upload-async');
    expect(uploadPathFor(404)).toBe('/v1beta1/upload');
    expect(uploadPathFor(405)).toBe('/v1beta1/upload');
  });

  it('tells a failed processing after the answer from one still running', () => {
    const running = { status: { phase: 'Running', containerStatuses: [{ restartCount: 1, state: {} }] } };
    expect(processingFailure(running, 1)).toBeUndefined();
    expect(processingFailure(undefined, 0)).toBeUndefined();
    const failed = {
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            restartCount: 1,
            state: { terminated: { exitCode: 1, message: 'Unable to process data: not a qcow2' } },
          },
        ],
      },
    };
    expect(processingFailure(failed, 1)).toBe('Unable to process data: not a qcow2');
    const restarted = {
      status: {
        containerStatuses: [
          {
            restartCount: 2,
            state: {},
            lastState: { terminated: { exitCode: 1, message: 'disk went away' } },
          },
        ],
      },
    };
    expect(processingFailure(restarted, 1)).toBe('disk went away');
    expect(processingFailure(restarted, 2)).toBeUndefined();
    expect(
      processingFailure({ status: { containerStatuses: [{ state: { terminated: { exitCode: 137 } } }] } }, 0),
    ).toBe("the upload pod's container exited with code 137");
  });
});

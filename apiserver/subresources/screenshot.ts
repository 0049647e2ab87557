/**
 * `GET .../virtualmachineinstances/{name}/vnc/screenshot[?moveCursor=true]`: a PNG of the VMI's
 * display, as KubeVirt's virt-api makes it: it opens the VMI's VNC stream on the node with
 * `preserveSession=true` (a screenshot never cuts the viewer that is open), speaks RFB 3.8 as a
 * viewer would (security None, a shared ClientInit), asks for 32-bit true colour in Raw
 * encoding, requests one full, non-incremental framebuffer update and encodes it as PNG.
 * `moveCursor=true` first moves the pointer to wake a blanked screen (KubeVirt's parameter).
 * VMI checks and words are the VNC stream's (./streams.ts): 404, 400 "VMI is not running",
 * 400 "No graphics devices are present."; an RFB failure is a 500 "Internal error occurred".
 * KubeVirt waits 2 s for the update; virtkit waits 10 s (an emulated guest can be slow to draw).
 */
import { deflateSync } from 'zlib';
import type WebSocket from 'ws';
import { nodeVmiPath } from '../../common/node-api';
import { errorMessage } from '../../kube';
import { fetchVmi, nodeConnectionForVmi } from './node-client';
import { failure } from '../../common/kube-status';
import { dialNode, streamProblem } from './streams';
import type { SubresourceAnswer, SubresourceHandler } from './types';

/** How long the whole RFB exchange may take. */
export const SCREENSHOT_TIMEOUT_MS = 10_000;

/** Exact-length reads over the binary messages of a websocket (the RFB byte stream). */
export class WebSocketByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private closed: string | undefined;

  constructor(ws: WebSocket) {
    ws.on('message', (d: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.wake?.();
    });
    ws.once('close', (code: number, reason: Buffer) => {
      this.closed = `the VNC stream closed (${code}${reason.length ? `: ${reason.toString()}` : ''})`;
      this.wake?.();
    });
  }

  async read(n: number, deadline: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.closed) throw new Error(this.closed);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for VNC server messages');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

export interface Frame {
  readonly width: number;
  readonly height: number;
  /** width * height * 3 bytes, RGB, rows top to bottom. */
  readonly rgb: Buffer;
}

interface ByteSource {
  read(n: number, deadline: number): Promise<Buffer>;
}

/**
 * A viewer's side of RFB up to one full framebuffer (RFC 6143): version 3.8, security None,
 * shared ClientInit, SetPixelFormat (32 bpp, little-endian, red << 16, green << 8, blue), Raw
 * encoding only, then a non-incremental FramebufferUpdateRequest of the whole screen. Other
 * server messages that come first (bell, cut text, colour map) are skipped.
 */
export async function readFramebuffer(
  source: ByteSource,
  send: (data: Buffer) => void,
  o: { deadline: number; moveCursor?: boolean },
): Promise<Frame> {
  const { deadline } = o;
  const version = (await source.read(12, deadline)).toString('latin1');
  if (!/^RFB 003\.\d{3}\n$/.test(version)) throw new Error(`not an RFB server: ${JSON.stringify(version)}`);
  const minor = Number(version.slice(8, 11));
  send(Buffer.from(minor >= 8 ? 'RFB 003.008\n' : 'RFB 003.003\n', 'latin1'));
  if (minor >= 7) {
    const count = (await source.read(1, deadline))[0];
    if (count === 0) {
      const len = (await source.read(4, deadline)).readUInt32BE(0);
      throw new Error(`the VNC server refused: ${(await source.read(len, deadline)).toString()}`);
    }
    const types = [...(await source.read(count, deadline))];
    if (!types.includes(1))
      throw new Error(`the VNC server asks for authentication (security types ${types.join(', ')})`);
    send(Buffer.from([1]));
    const result = (await source.read(4, deadline)).readUInt32BE(0);
    if (result !== 0) throw new Error(`the VNC security handshake failed (${result})`);
  } else {
    const type = (await source.read(4, deadline)).readUInt32BE(0);
    if (type !== 1) throw new Error(`the VNC server asks for security type ${type}`);
  }
  send(Buffer.from([1])); // ClientInit: shared, never cut other viewers
  const init = await source.read(24, deadline);
  const width = init.readUInt16BE(0);
  const height = init.readUInt16BE(2);
  await source.read(init.readUInt32BE(20), deadline); // the desktop name
  if (!width || !height) throw new Error(`the display is ${width}x${height}`);

  const pixelFormat = Buffer.alloc(20);
  pixelFormat.writeUInt8(0, 0); // SetPixelFormat
  pixelFormat.writeUInt8(32, 4); // bits per pixel
  pixelFormat.writeUInt8(24, 5); // depth
  pixelFormat.writeUInt8(0, 6); // little-endian
  pixelFormat.writeUInt8(1, 7); // true colour
  pixelFormat.writeUInt16BE(255, 8);
  pixelFormat.writeUInt16BE(255, 10);
  pixelFormat.writeUInt16BE(255, 12);
  pixelFormat.writeUInt8(16, 14);
  pixelFormat.writeUInt8(8, 15);
  pixelFormat.writeUInt8(0, 16);
  const encodings = Buffer.alloc(8);
  encodings.writeUInt8(2, 0); // SetEncodings
  encodings.writeUInt16BE(1, 2);
  encodings.writeInt32BE(0, 4); // Raw
  send(Buffer.concat([pixelFormat, encodings]));
  if (o.moveCursor) {
    const pointer = (x: number, y: number): Buffer => {
      const b = Buffer.alloc(6);
      b.writeUInt8(5, 0);
      b.writeUInt16BE(x, 2);
      b.writeUInt16BE(y, 4);
      return b;
    };
    send(Buffer.concat([pointer(0, 0), pointer(1, 1)]));
  }
  const request = Buffer.alloc(10);
  request.writeUInt8(3, 0);
  request.writeUInt8(0, 1); // not incremental
  request.writeUInt16BE(width, 6);
  request.writeUInt16BE(height, 8);
  send(request);

  for (;;) {
    const type = (await source.read(1, deadline))[0];
    if (type === 2) continue; // Bell
    if (type === 3) {
      const head = await source.read(7, deadline);
      await source.read(head.readUInt32BE(3), deadline);
      continue;
    }
    if (type === 1) {
      const head = await source.read(5, deadline);
      await source.read(head.readUInt16BE(3) * 6, deadline);
      continue;
    }
    if (type !== 0) throw new Error(`unexpected VNC server message ${type}`);
    const head = await source.read(3, deadline);
    const rects = head.readUInt16BE(1);
    const rgb = Buffer.alloc(width * height * 3);
    for (let i = 0; i < rects; i++) {
      const r = await source.read(12, deadline);
      const [x, y, w, h] = [r.readUInt16BE(0), r.readUInt16BE(2), r.readUInt16BE(4), r.readUInt16BE(6)];
      const encoding = r.readInt32BE(8);
      if (encoding !== 0) throw new Error(`the VNC server answered in encoding ${encoding}, not Raw`);
      const pixels = await source.read(w * h * 4, deadline);
      for (let row = 0; row < h; row++) {
        if (y + row >= height) break;
        for (let col = 0; col < w; col++) {
          if (x + col >= width) break;
          const p = (row * w + col) * 4;
          const q = ((y + row) * width + x + col) * 3;
          // Little-endian 0x00RRGGBB: bytes B, G, R, 0.
          rgb[q] = pixels[p + 2];
          rgb[q + 1] = pixels[p + 1];
          rgb[q + 2] = pixels[p];
        }
      }
    }
    return { width, height, rgb };
  }
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG of an RGB frame (8 bits per channel, no filtering, zlib). Pure. */
export function encodePng(frame: Frame): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(frame.width, 0);
  ihdr.writeUInt32BE(frame.height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(2, 9); // truecolour RGB
  const stride = frame.width * 3;
  const raw = Buffer.alloc((stride + 1) * frame.height);
  for (let y = 0; y < frame.height; y++)
    frame.rgb.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const internal = (why: string): SubresourceAnswer =>
  failure(500, `Internal error occurred: ${why}`, { causes: [{ message: why }] });

/** The handler of `virtualmachineinstances/vnc/screenshot`. */
export const vncScreenshot: SubresourceHandler = async (req, ctx) => {
  const vmi = await fetchVmi(req.namespace, req.name, ctx);
  const bad = streamProblem(vmi, 'vnc');
  if (bad) return { status: bad.code, body: bad.status };
  const conn = await nodeConnectionForVmi(vmi, ctx);
  const node = await dialNode(
    conn,
    nodeVmiPath(req.namespace, req.name, 'vnc'),
    new URLSearchParams({ preserveSession: 'true' }),
    () => undefined,
  );
  if (!('send' in node)) return { status: node.code, body: node.status };
  const ws = node;
  ws.on('error', () => undefined);
  try {
    const reader = new WebSocketByteReader(ws);
    ws.resume();
    const frame = await readFramebuffer(reader, (d) => ws.send(d, { binary: true }), {
      deadline: Date.now() + SCREENSHOT_TIMEOUT_MS,
      moveCursor: req.query.get('moveCursor') === 'true',
    });
    return { status: 200, raw: { contentType: 'image/png', data: encodePng(frame) } };
  } catch (err) {
    ctx.log.info({ namespace: req.namespace, name: req.name, err: errorMessage(err) }, 'screenshot failed');
    return internal(errorMessage(err));
  } finally {
    ws.close();
    setTimeout(() => ws.terminate(), 1000).unref();
  }
};

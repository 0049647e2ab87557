/**
 * The screenshot's pure parts: the RFB exchange of a viewer up to one Raw framebuffer update
 * (fed the bytes a VNC server sends, in the order QEMU sends them) and the PNG encoding (checked
 * by decoding it again). The real thing, through the API server against QEMU's VNC server, is
 * in test/e2e/runtime-guest-agent.test.ts.
 */
import { inflateSync } from 'zlib';
import { crc32, encodePng, readFramebuffer } from './screenshot';

/** A byte source over a fixed transcript of what the server sends. */
function transcript(...parts: Buffer[]): { read: (n: number) => Promise<Buffer>; left: () => number } {
  let buf = Buffer.concat(parts);
  return {
    read: async (n) => {
      if (buf.length < n) throw new Error(`the server sent only ${buf.length} more bytes, ${n} wanted`);
      const out = buf.subarray(0, n);
      buf = buf.subarray(n);
      return out;
    },
    left: () => buf.length,
  };
}

function u16(...v: number[]): Buffer {
  const b = Buffer.alloc(v.length * 2);
  v.forEach((x, i) => b.writeUInt16BE(x, i * 2));
  return b;
}
function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v, 0);
  return b;
}

function serverInit(w: number, h: number, name: string): Buffer {
  return Buffer.concat([u16(w, h), Buffer.alloc(16), u32(name.length), Buffer.from(name)]);
}

/** One Raw rectangle of w x h pixels in the asked format (bytes B, G, R, 0). */
function rawRect(x: number, y: number, w: number, h: number, rgb: [number, number, number]): Buffer {
  const px = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) px.set([rgb[2], rgb[1], rgb[0], 0], i * 4);
  const enc = Buffer.alloc(4);
  return Buffer.concat([u16(x, y, w, h), enc, px]);
}

describe('readFramebuffer', () => {
  it("does a viewer's handshake, skips a bell and cut text, and assembles the rectangles", async () => {
    const server = transcript(
      Buffer.from('RFB 003.008\n'),
      Buffer.from([1, 1]), // one security type: None
      u32(0), // SecurityResult OK
      serverInit(4, 2, 'QEMU (vm)'),
      Buffer.from([2]), // Bell
      Buffer.concat([Buffer.from([3, 0, 0, 0]), u32(2), Buffer.from('hi')]), // ServerCutText
      Buffer.concat([Buffer.from([0, 0]), u16(2)]), // FramebufferUpdate, 2 rectangles
      rawRect(0, 0, 4, 1, [255, 0, 0]),
      rawRect(0, 1, 4, 1, [0, 0, 255]),
    );
    const sent: Buffer[] = [];
    const frame = await readFramebuffer(server, (d) => sent.push(d), {
      deadline: Date.now() + 1000,
      moveCursor: true,
    });
    expect(server.left()).toBe(0);
    expect(frame).toMatchObject({ width: 4, height: 2 });
    expect([...frame.rgb.subarray(0, 3)]).toEqual([255, 0, 0]);
    expect([...frame.rgb.subarray(12, 15)]).toEqual([0, 0, 255]);
    const all = Buffer.concat(sent);
    expect(all.subarray(0, 12).toString()).toBe('RFB 003.008\n');
    expect([all[12], all[13]]).toEqual([1, 1]); // None, then a shared ClientInit
    expect(all[14]).toBe(0); // SetPixelFormat
    expect(all[14 + 4]).toBe(32);
    expect(all[34]).toBe(2); // SetEncodings: Raw only
    expect(all.readInt32BE(34 + 4)).toBe(0);
    expect(all[42]).toBe(5); // PointerEvent (moveCursor)
    const request = all.subarray(all.length - 10);
    expect([request[0], request[1], request.readUInt16BE(6), request.readUInt16BE(8)]).toEqual([3, 0, 4, 2]);
  });

  it('refuses a server that wants a password', async () => {
    const server = transcript(Buffer.from('RFB 003.008\n'), Buffer.from([1, 2]));
    await expect(readFramebuffer(server, () => undefined, { deadline: Date.now() + 1000 })).rejects.toThrow(
      /asks for authentication/,
    );
  });
});

describe('encodePng', () => {
  it('writes a PNG that decodes back to the frame', () => {
    const rgb = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]);
    const png = encodePng({ width: 2, height: 2, rgb });
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const chunks: { type: string; data: Buffer }[] = [];
    for (let at = 8; at < png.length;) {
      const len = png.readUInt32BE(at);
      const type = png.subarray(at + 4, at + 8).toString('latin1');
      const data = png.subarray(at + 8, at + 8 + len);
      expect(png.readUInt32BE(at + 8 + len)).toBe(crc32(png.subarray(at + 4, at + 8 + len)));
      chunks.push({ type, data });
      at += 12 + len;
    }
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect([
      chunks[0].data.readUInt32BE(0),
      chunks[0].data.readUInt32BE(4),
      chunks[0].data[8],
      chunks[0].data[9],
    ]).toEqual([2, 2, 8, 2]);
    const raw = inflateSync(chunks[1].data);
    expect([...raw]).toEqual([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 9, 9, 9]);
  });

  it('crc32 is the PNG one', () => {
    expect(crc32(Buffer.from('IEND'))).toBe(0xae426082);
  });
});

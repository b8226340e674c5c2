// Draws images/icon.png (128x128): memory bars seen through a lens. Shapes are signed-distance
// functions sampled 4x4 per pixel; the PNG is written with node's zlib, no image library needed.
// Run: node images/make-icon.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const SIZE = 128;
const SUB = 4;

const roundedBox = (x, y, cx, cy, hw, hh, r) => {
  const qx = Math.abs(x - cx) - hw + r;
  const qy = Math.abs(y - cy) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
};
const segment = (x, y, ax, ay, bx, by, r) => {
  const t = Math.max(0, Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)));
  return Math.hypot(x - ax - t * (bx - ax), y - ay - t * (by - ay)) - r;
};

// layers from back to front: [distance function, rgb]
const lens = { cx: 70, cy: 58, r: 30 };
const layers = [
  [(x, y) => roundedBox(x, y, 64, 64, 62, 62, 24), [30, 42, 68]],
  [(x, y) => roundedBox(x, y, 44, 40, 28, 7, 3), [64, 196, 180]],
  [(x, y) => roundedBox(x, y, 52, 60, 36, 7, 3), [64, 196, 180]],
  [(x, y) => roundedBox(x, y, 36, 80, 20, 7, 3), [242, 153, 74]],
  [(x, y) => Math.hypot(x - lens.cx, y - lens.cy) - lens.r, [255, 255, 255, 0.18]],
  [(x, y) => Math.abs(Math.hypot(x - lens.cx, y - lens.cy) - lens.r) - 4.5, [245, 247, 250]],
  [(x, y) => segment(x, y, 92, 80, 112, 100, 7), [245, 247, 250]],
];

const pixels = Buffer.alloc(SIZE * SIZE * 4);
for (let py = 0; py < SIZE; py++) {
  for (let px = 0; px < SIZE; px++) {
    let r = 0, g = 0, b = 0, a = 0;
    for (let sy = 0; sy < SUB; sy++) {
      for (let sx = 0; sx < SUB; sx++) {
        const x = px + (sx + 0.5) / SUB;
        const y = py + (sy + 0.5) / SUB;
        let cr = 0, cg = 0, cb = 0, ca = 0; // premultiplied colour of this sample
        for (const [dist, [lr, lg, lb, alpha = 1]] of layers) {
          if (dist(x, y) > 0) continue;
          cr = lr * alpha + cr * (1 - alpha);
          cg = lg * alpha + cg * (1 - alpha);
          cb = lb * alpha + cb * (1 - alpha);
          ca = alpha + ca * (1 - alpha);
        }
        r += cr; g += cg; b += cb; a += ca;
      }
    }
    const n = SUB * SUB;
    const o = (py * SIZE + px) * 4;
    const alpha = a / n;
    pixels[o] = alpha ? Math.round(r / n / alpha) : 0;
    pixels[o + 1] = alpha ? Math.round(g / n / alpha) : 0;
    pixels[o + 2] = alpha ? Math.round(b / n / alpha) : 0;
    pixels[o + 3] = Math.round(alpha * 255);
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
};

const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const rows = Buffer.alloc(SIZE * (SIZE * 4 + 1)); // each row starts with filter type 0
for (let y = 0; y < SIZE; y++) pixels.copy(rows, y * (SIZE * 4 + 1) + 1, y * SIZE * 4, (y + 1) * SIZE * 4);
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(rows, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(new URL('./icon.png', import.meta.url), png);
console.log(`images/icon.png: ${SIZE}x${SIZE}, ${png.length} bytes`);

/**
 * Scene graph -> SVG -> pixels. Every scene is rasterised once, with sharp (librsvg), at the world's
 * native size; towers see it only through `resizeImage`/preprocessing, so image resolution is a
 * clean experimental variable.
 */
import sharp, { type Sharp } from "sharp";
import { textCells, textSvg, GLYPH_ROWS } from "./font.js";
import type { Scene, SceneObject, WorldConfig } from "./scene.js";
import { themeNamed } from "./scene.js";
import { categoryNamed, colourNamed } from "./vocabulary.js";

/** Interleaved 8-bit pixels, row-major, `channels` per pixel. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

const fmt = (x: number): string => (Math.round(x * 1000) / 1000).toString();
const points = (pts: [number, number][]): string => pts.map(([x, y]) => `${fmt(x)},${fmt(y)}`).join(" ");

function regularPolygon(cx: number, cy: number, r: number, corners: number, rotationDeg: number): [number, number][] {
  const start = (rotationDeg * Math.PI) / 180 - Math.PI / 2;
  return [...Array(corners).keys()].map((i) => {
    const a = start + (2 * Math.PI * i) / corners;
    return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
  });
}

function starPoints(cx: number, cy: number, r: number, corners: number): [number, number][] {
  return [...Array(2 * corners).keys()].map((i) => {
    const a = -Math.PI / 2 + (Math.PI * i) / corners;
    const rr = i % 2 === 0 ? r : r * 0.45;
    return [cx + rr * Math.cos(a), cy + rr * Math.sin(a)];
  });
}

/** Crescent: the unit circle minus a circle of radius 0.85 shifted right by 0.5, sampled as a polygon. */
function moonPoints(cx: number, cy: number, r: number): [number, number][] {
  const d = 0.5;
  const r2 = 0.85;
  const ix = (d * d + 1 - r2 * r2) / (2 * d);
  const iy = Math.sqrt(1 - ix * ix);
  const outerFrom = Math.atan2(iy, ix);
  const innerFrom = Math.atan2(-iy, ix - d);
  const innerTo = Math.atan2(iy, ix - d) + 2 * Math.PI;
  const pts: [number, number][] = [];
  const steps = 24;
  for (let i = 0; i <= steps; i++) {
    const a = outerFrom + ((2 * Math.PI - 2 * outerFrom) * i) / steps;
    pts.push([cx + r * Math.cos(a), cy + r * Math.sin(a)]);
  }
  for (let i = 0; i <= steps; i++) {
    const a = innerFrom - ((innerFrom + 2 * Math.PI - innerTo) * i) / steps;
    pts.push([cx + r * (d + r2 * Math.cos(a)), cy + r * r2 * Math.sin(a)]);
  }
  return pts;
}

function shapeSvg(o: SceneObject, cx: number, cy: number, r: number, fill: string): string {
  const c = categoryNamed(o.category);
  switch (c.outline) {
    case "circle":
      return `<circle cx="${fmt(cx)}" cy="${fmt(cy)}" r="${fmt(r)}" fill="${fill}"/>`;
    case "ring":
      return `<path fill-rule="evenodd" fill="${fill}" d="M${fmt(cx - r)},${fmt(cy)}a${fmt(r)},${fmt(r)} 0 1,0 ${fmt(2 * r)},0a${fmt(r)},${fmt(r)} 0 1,0 ${fmt(-2 * r)},0zM${fmt(cx - 0.55 * r)},${fmt(cy)}a${fmt(0.55 * r)},${fmt(0.55 * r)} 0 1,0 ${fmt(1.1 * r)},0a${fmt(0.55 * r)},${fmt(0.55 * r)} 0 1,0 ${fmt(-1.1 * r)},0z"/>`;
    case "polygon":
      return `<polygon fill="${fill}" points="${points(regularPolygon(cx, cy, r, c.corners, c.rotation))}"/>`;
    case "star":
      return `<polygon fill="${fill}" points="${points(starPoints(cx, cy, r, c.corners))}"/>`;
    case "moon":
      return `<polygon fill="${fill}" points="${points(moonPoints(cx, cy, r))}"/>`;
    case "cross": {
      const w = 0.36 * r;
      return `<path fill="${fill}" d="M${fmt(cx - w)},${fmt(cy - r)}h${fmt(2 * w)}v${fmt(r - w)}h${fmt(r - w)}v${fmt(2 * w)}h${fmt(w - r)}v${fmt(r - w)}h${fmt(-2 * w)}v${fmt(w - r)}h${fmt(w - r)}v${fmt(-2 * w)}h${fmt(r - w)}z"/>`;
    }
    case "arrow":
      return `<polygon fill="${fill}" points="${points([
        [cx - r, cy - 0.3 * r],
        [cx + 0.1 * r, cy - 0.3 * r],
        [cx + 0.1 * r, cy - 0.75 * r],
        [cx + r, cy],
        [cx + 0.1 * r, cy + 0.75 * r],
        [cx + 0.1 * r, cy + 0.3 * r],
        [cx - r, cy + 0.3 * r],
      ])}"/>`;
    case "heart":
      return `<path fill="${fill}" d="M${fmt(cx)},${fmt(cy + 0.9 * r)}C${fmt(cx - 1.3 * r)},${fmt(cy)} ${fmt(cx - 1.1 * r)},${fmt(cy - 1.1 * r)} ${fmt(cx)},${fmt(cy - 0.45 * r)}C${fmt(cx + 1.1 * r)},${fmt(cy - 1.1 * r)} ${fmt(cx + 1.3 * r)},${fmt(cy)} ${fmt(cx)},${fmt(cy + 0.9 * r)}z"/>`;
  }
}

/** A white plate with dark text, centred at (cx, cy). */
export function plateSvg(text: string, cx: number, cy: number, cell: number): string {
  const w = (textCells(text) + 2) * cell;
  const h = (GLYPH_ROWS + 2) * cell;
  return `<rect x="${fmt(cx - w / 2)}" y="${fmt(cy - h / 2)}" width="${fmt(w)}" height="${fmt(h)}" fill="#ffffff"/>${textSvg(text, cx - w / 2 + cell, cy - h / 2 + cell, cell, "#111111")}`;
}

function texturePattern(id: string, o: SceneObject, r: number, hex: string): string {
  const p = Math.max(2, 0.3 * r);
  if (o.texture === "striped") {
    return `<pattern id="${id}" patternUnits="userSpaceOnUse" width="${fmt(p)}" height="${fmt(p)}" patternTransform="rotate(45)"><rect width="${fmt(p)}" height="${fmt(p)}" fill="${hex}"/><rect width="${fmt(p / 2)}" height="${fmt(p)}" fill="#ffffff"/></pattern>`;
  }
  return `<pattern id="${id}" patternUnits="userSpaceOnUse" width="${fmt(p)}" height="${fmt(p)}"><rect width="${fmt(p)}" height="${fmt(p)}" fill="${hex}"/><circle cx="${fmt(p / 2)}" cy="${fmt(p / 2)}" r="${fmt(p / 4)}" fill="#ffffff"/></pattern>`;
}

function arrowSvg(a: SceneObject, b: SceneObject, scene: Scene, unit: number): string {
  const ax = a.cx * scene.width;
  const ay = a.cy * scene.height;
  const bx = b.cx * scene.width;
  const by = b.cy * scene.height;
  const len = Math.hypot(bx - ax, by - ay);
  const ux = (bx - ax) / len;
  const uy = (by - ay) / len;
  const sx = ax + ux * (a.radius * unit + 0.01 * unit);
  const sy = ay + uy * (a.radius * unit + 0.01 * unit);
  const ex = bx - ux * (b.radius * unit + 0.01 * unit);
  const ey = by - uy * (b.radius * unit + 0.01 * unit);
  const head = 0.045 * unit;
  const hx = ex - ux * head;
  const hy = ey - uy * head;
  const wing: [number, number][] = [
    [ex, ey],
    [hx - uy * head * 0.55, hy + ux * head * 0.55],
    [hx + uy * head * 0.55, hy - ux * head * 0.55],
  ];
  return `<line x1="${fmt(sx)}" y1="${fmt(sy)}" x2="${fmt(hx)}" y2="${fmt(hy)}" stroke="#111111" stroke-width="${fmt(0.012 * unit)}"/><polygon fill="#111111" points="${points(wing)}"/>`;
}

/** The scene as an SVG document of its native pixel size. */
export function sceneSvg(scene: Scene, world: WorldConfig): string {
  const unit = Math.min(scene.width, scene.height);
  const cell = (world.textHeight * Math.max(scene.width, scene.height)) / GLYPH_ROWS;
  const defs: string[] = [];
  const body: string[] = [`<rect width="${scene.width}" height="${scene.height}" fill="${themeNamed(scene.theme).background}"/>`];
  const cellCentre = (col: number, row: number): [number, number] => [((col + 0.5) / 3) * scene.width, ((row + 0.5) / 3) * scene.height];
  for (const [from, to] of scene.edges) body.push(arrowSvg(scene.objects[from]!, scene.objects[to]!, scene, unit));
  for (const o of scene.objects) {
    const cx = o.cx * scene.width;
    const cy = o.cy * scene.height;
    const r = o.radius * unit;
    const hex = colourNamed(o.colour).hex;
    let fill = hex;
    if (o.texture !== "solid") {
      const id = `t${o.id}`;
      defs.push(texturePattern(id, o, r, hex));
      fill = `url(#${id})`;
    }
    body.push(shapeSvg(o, cx, cy, r, fill));
    // The label hangs on the lower half of the object, so its shape and colour stay visible above it.
    if (o.label) body.push(plateSvg(o.label, cx, cy + 0.6 * r, cell));
  }
  if (scene.sign) body.push(plateSvg(scene.sign.text, ...cellCentre(scene.sign.col, scene.sign.row), cell));
  if (scene.title) {
    const used = new Set(scene.objects.map((o) => o.row * 3 + o.col));
    const free = [...Array(9).keys()].find((c) => !used.has(c))!;
    body.push(plateSvg(scene.title, ...cellCentre(free % 3, Math.floor(free / 3)), cell));
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" viewBox="0 0 ${scene.width} ${scene.height}"><defs>${defs.join("")}</defs>${body.join("")}</svg>`;
}

export async function svgToRaw(svg: string): Promise<RawImage> {
  const { data, info } = await sharp(Buffer.from(svg), { density: 72 }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`render: expected 3 channels, got ${info.channels}`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
}

/** Rasterise a scene at its native size. */
export const renderScene = (scene: Scene, world: WorldConfig): Promise<RawImage> => svgToRaw(sceneSvg(scene, world));

export const rawToSharp = (image: RawImage): Sharp => sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length), { raw: { width: image.width, height: image.height, channels: image.channels } });

export async function encodePng(image: RawImage): Promise<Buffer> {
  return rawToSharp(image).png({ compressionLevel: 6 }).toBuffer();
}

/** Decode any image file sharp reads (PNG, JPEG, ...) to 8-bit RGB. */
export async function decodeImage(file: string | Buffer): Promise<RawImage> {
  const { data, info } = await sharp(file).removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
}

/** Bicubic (Catmull-Rom) resize to width × height, as PIL's BICUBIC in the Hugging Face processors. */
export async function resizeImage(image: RawImage, width: number, height: number): Promise<RawImage> {
  const { data, info } = await rawToSharp(image).resize(width, height, { kernel: "cubic", fit: "fill" }).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
}

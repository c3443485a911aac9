/**
 * The world's own 5×7 dot-matrix font, drawn as SVG rectangles. Shipping the glyphs (instead of
 * asking the SVG renderer for a system font) makes printed text render to the same pixels on every
 * machine, whatever fonts it has installed.
 */

const ROWS: Record<string, string> = {
  "0": "01110 10001 10011 10101 11001 10001 01110",
  "1": "00100 01100 00100 00100 00100 00100 01110",
  "2": "01110 10001 00001 00010 00100 01000 11111",
  "3": "11111 00010 00100 00010 00001 10001 01110",
  "4": "00010 00110 01010 10010 11111 00010 00010",
  "5": "11111 10000 11110 00001 00001 10001 01110",
  "6": "00110 01000 10000 11110 10001 10001 01110",
  "7": "11111 00001 00010 00100 01000 01000 01000",
  "8": "01110 10001 10001 01110 10001 10001 01110",
  "9": "01110 10001 10001 01111 00001 00010 01100",
  A: "01110 10001 10001 11111 10001 10001 10001",
  B: "11110 10001 10001 11110 10001 10001 11110",
  C: "01110 10001 10000 10000 10000 10001 01110",
  D: "11100 10010 10001 10001 10001 10010 11100",
  E: "11111 10000 10000 11110 10000 10000 11111",
  F: "11111 10000 10000 11110 10000 10000 10000",
  G: "01110 10001 10000 10111 10001 10001 01111",
  H: "10001 10001 10001 11111 10001 10001 10001",
  I: "01110 00100 00100 00100 00100 00100 01110",
  J: "00111 00010 00010 00010 00010 10010 01100",
  K: "10001 10010 10100 11000 10100 10010 10001",
  L: "10000 10000 10000 10000 10000 10000 11111",
  M: "10001 11011 10101 10101 10001 10001 10001",
  N: "10001 10001 11001 10101 10011 10001 10001",
  O: "01110 10001 10001 10001 10001 10001 01110",
  P: "11110 10001 10001 11110 10000 10000 10000",
  Q: "01110 10001 10001 10001 10101 10010 01101",
  R: "11110 10001 10001 11110 10100 10010 10001",
  S: "01111 10000 10000 01110 00001 00001 11110",
  T: "11111 00100 00100 00100 00100 00100 00100",
  U: "10001 10001 10001 10001 10001 10001 01110",
  V: "10001 10001 10001 10001 10001 01010 00100",
  W: "10001 10001 10001 10101 10101 10101 01010",
  X: "10001 10001 01010 00100 01010 10001 10001",
  Y: "10001 10001 10001 01010 00100 00100 00100",
  Z: "11111 00001 00010 00100 01000 10000 11111",
  "+": "00000 00100 00100 11111 00100 00100 00000",
  "-": "00000 00000 00000 11111 00000 00000 00000",
  "=": "00000 00000 11111 00000 11111 00000 00000",
  " ": "00000 00000 00000 00000 00000 00000 00000",
};

export const GLYPH_COLUMNS = 5;
export const GLYPH_ROWS = 7;
/** Advance per character in cells: 5 columns plus 1 of spacing. */
export const GLYPH_ADVANCE = 6;

export const FONT_CHARACTERS = Object.keys(ROWS).join("");

/** Horizontal runs of lit cells per glyph: [row, firstColumn, length]. */
const RUNS = new Map<string, [number, number, number][]>(
  Object.entries(ROWS).map(([ch, rows]) => {
    const runs: [number, number, number][] = [];
    rows.split(" ").forEach((bits, row) => {
      let col = 0;
      while (col < GLYPH_COLUMNS) {
        if (bits[col] !== "1") {
          col++;
          continue;
        }
        const start = col;
        while (col < GLYPH_COLUMNS && bits[col] === "1") col++;
        runs.push([row, start, col - start]);
      }
    });
    return [ch, runs];
  }),
);

/** Width of a text in font cells (no trailing space). */
export const textCells = (text: string): number => Math.max(0, text.length * GLYPH_ADVANCE - 1);

const fmt = (x: number): string => (Math.round(x * 1000) / 1000).toString();

/**
 * SVG rectangles drawing `text` with its top-left corner at (x, y) and each font cell `cell` user
 * units wide, in `fill`.
 */
export function textSvg(text: string, x: number, y: number, cell: number, fill: string): string {
  const rects: string[] = [];
  [...text].forEach((ch, i) => {
    const runs = RUNS.get(ch);
    if (!runs) throw new Error(`font: no glyph for ${JSON.stringify(ch)}; printable characters are ${JSON.stringify(FONT_CHARACTERS)}`);
    const left = x + i * GLYPH_ADVANCE * cell;
    for (const [row, col, len] of runs) {
      rects.push(`<rect x="${fmt(left + col * cell)}" y="${fmt(y + row * cell)}" width="${fmt(len * cell)}" height="${fmt(cell)}"/>`);
    }
  });
  return `<g fill="${fill}">${rects.join("")}</g>`;
}

import { test } from "node:test";
import assert from "node:assert/strict";
import { classificationProbe, fitRidge, multiLabelProbe, predictRidge, solveSpd, type ProbeData } from "../src/probes/linear_probe.js";
import { patchCategories, patchLabels } from "../src/probes/tower_probes.js";
import type { Scene } from "../src/world/scene.js";
import { CATEGORIES } from "../src/world/vocabulary.js";
import { Random } from "../src/util/random.js";

test("Cholesky solve and ridge regression on hand-checked cases", () => {
  // [[4, 2], [2, 3]] x = [2, 1]  ->  x = [0.5, 0]
  const x = solveSpd(Float64Array.from([4, 2, 2, 3]), Float64Array.from([2, 1]), 2, 1);
  assert.ok(Math.abs(x[0]! - 0.5) < 1e-12 && Math.abs(x[1]!) < 1e-12);
  assert.throws(() => solveSpd(Float64Array.from([0, 0, 0, 0]), Float64Array.from([1, 1]), 2, 1), /not positive definite/);
  // y = 3·x + 1 exactly: tiny ridge recovers it.
  const data: ProbeData = { features: Float32Array.from([0, 1, 2, 3]), rows: 4, dim: 1 };
  const model = fitRidge(data, Float64Array.from([1, 4, 7, 10]), 1, 1e-9);
  const pred = predictRidge(model, { features: Float32Array.from([10]), rows: 1, dim: 1 });
  assert.ok(Math.abs(pred[0]! - 31) < 1e-5, `${pred[0]}`);
});

test("probes separate separable classes and score chance on noise", () => {
  const rng = Random.stream(0, "probe");
  const make = (n: number, signal: number) => {
    const labels = Array.from({ length: n }, () => rng.int(3));
    const features = new Float32Array(n * 4);
    labels.forEach((l, r) => {
      for (let c = 0; c < 4; c++) features[r * 4 + c] = rng.uniform(-1, 1) + (c === l ? signal : 0);
    });
    return { data: { features, rows: n, dim: 4 }, labels };
  };
  const a = make(300, 3);
  const b = make(300, 3);
  assert.ok(classificationProbe(a.data, a.labels, b.data, b.labels, 3) > 0.95);
  const c = make(300, 0);
  const d = make(300, 0);
  assert.ok(classificationProbe(c.data, c.labels, d.data, d.labels, 3) < 0.5);
  // Balanced accuracy: a rare label predicted never scores ½, not its majority rate.
  const rare = Float64Array.from(a.labels.map((l) => (l === 0 ? 1 : 0)));
  const balanced = multiLabelProbe(a.data, rare, b.data, Float64Array.from(b.labels.map((l) => (l === 0 ? 1 : 0))), 1);
  assert.ok(balanced > 0.9);
});

test("patch labels: background, padding and white plates are not objects; objects take the nearest palette colour", () => {
  const size = 4;
  const raw = new Uint8Array(size * size * 3);
  const fill = (x: number, y: number, rgb: number[]) => raw.set(rgb, 3 * (y * size + x));
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) fill(x, y, [227, 241, 216]); // garden background
  for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) fill(x, y, [214, 39, 40]); // red object, top-left patch
  for (let y = 2; y < 4; y++) for (let x = 2; x < 4; x++) fill(x, y, [255, 255, 255]); // white plate
  for (let y = 0; y < 2; y++) for (let x = 2; x < 4; x++) fill(x, y, [122, 116, 104]); // CLIP padding
  assert.deepEqual(patchLabels(raw, size, 2, [227, 241, 216], [122, 116, 104]), [0, -1, -1, -1]);
});

test("patch categories: the object whose disc covers a patch centre, in the square the image is padded to", () => {
  const object = (id: number, category: string, cx: number, cy: number, radius: number) =>
    ({ id, category, colour: "red", size: "large", texture: "solid", col: 0, row: 0, cx, cy, radius }) as Scene["objects"][number];
  // 200 × 100 image, padded to 200 × 200 with 50 px above and below; a 2 × 2 grid has centres at (50, 50), (150, 50), (50, 150), (150, 150).
  const scene: Scene = {
    id: "s",
    kind: "objects",
    theme: "garden",
    width: 200,
    height: 100,
    // A star centred at (50, 0) in the image = (50, 50) padded; radius 0.5 × 100 = 50 px, covered within 0.8 × 50 = 40 px.
    // A ring at (150, 100) = (150, 150) padded, radius 0.2 × 100 = 20, covers within 16 px: its patch centre is on it.
    objects: [object(0, "star", 0.25, 0, 0.5), object(1, "ring", 0.75, 1, 0.2)],
    edges: [],
  };
  const star = CATEGORIES.findIndex((c) => c.name === "star");
  const ring = CATEGORIES.findIndex((c) => c.name === "ring");
  assert.deepEqual(patchCategories(scene, 2), [star, -1, -1, ring]);
});

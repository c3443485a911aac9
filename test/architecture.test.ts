/**
 * The house rules of src/: data flows down the layers, no file imports a file above its own layer,
 * and no import cycle exists between files. The map lives in LAYERS; docs/architecture.md explains it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { projectPath } from "../src/util/paths.js";

/** Top to bottom; a file may import its own layer and the layers below it. */
const LAYERS: readonly (readonly string[])[] = [
  ["cli"],
  ["jupyter"],
  ["study"],
  ["analysis"],
  ["zoo"],
  ["probes"],
  ["benchmarks"],
  ["eval"],
  ["train"],
  ["data"],
  ["world"],
  ["models"],
  ["backend"],
  ["util", "presets.ts"],
];

const SRC = projectPath("src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith(".ts") ? [path] : [];
  });
}

/** Relative imports of a file (static, type-only, re-exports and dynamic import()), resolved to .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*["'](\.[^"']+)["']/g), ...text.matchAll(/import\(\s*["'](\.[^"']+)["']\s*\)/g)].map((m) => m[1]!);
  return specs.map((s) => resolve(dirname(file), s.replace(/\.js$/, ".ts")));
}

function layerOf(file: string): number {
  const top = relative(SRC, file).split("/")[0]!;
  const index = LAYERS.findIndex((names) => names.includes(top));
  if (index < 0) throw new Error(`src/${top} is in no layer of test/architecture.test.ts LAYERS`);
  return index;
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const name = (f: string): string => relative(SRC, f);

test("every relative import names a file of src/", () => {
  const missing = [...graph].flatMap(([f, deps]) => deps.filter((d) => d.startsWith(SRC) && !graph.has(d)).map((d) => `${name(f)} → ${name(d)}`));
  assert.deepEqual(missing, []);
});

test("no file imports a layer above its own (cli → … → util)", () => {
  const upward = [...graph].flatMap(([f, deps]) =>
    deps.filter((d) => graph.has(d) && layerOf(d) < layerOf(f)).map((d) => `${name(f)} → ${name(d)}`),
  );
  assert.deepEqual(upward, []);
});

test("models/ imports neither world/ nor eval/; train/ and the study's grid types do not import eval/", () => {
  const rule = (from: string, to: string): boolean =>
    (from.startsWith("models/") && (to.startsWith("world/") || to.startsWith("eval/"))) ||
    (from.startsWith("train/") && to.startsWith("eval/")) ||
    (from.startsWith("study/grid") && to.startsWith("eval/"));
  const broken = [...graph].flatMap(([f, deps]) => deps.filter((d) => rule(name(f), name(d))).map((d) => `${name(f)} → ${name(d)}`));
  assert.deepEqual(broken, []);
});

test("no import cycle between files", () => {
  // Tarjan's strongly connected components; any component of two or more files is a loop.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const loops: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(name(w));
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) loops.push(component.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  assert.deepEqual(loops, []);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runNotebookStudy } from "../src/study/notebook.js";
import { archivedZooView, notebookZoo, zooBuildTime } from "../src/study/notebook_zoo.js";
import { trainingOptedIn } from "../src/data/presets.js";
import { tempDir } from "./helpers.js";

const withEnv = async <T>(env: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> => {
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(env);
  try {
    return await body();
  } finally {
    set(before);
  }
};

test("training in notebooks is opted in by LLAVA_MORE_TRAIN=1, true or yes only", async () => {
  for (const [value, expected] of [[undefined, false], ["", false], ["0", false], ["no", false], ["1", true], ["true", true], ["YES", true]] as const) {
    await withEnv({ LLAVA_MORE_TRAIN: value }, async () => assert.equal(trainingOptedIn(), expected, String(value)));
  }
});

test("a lab notebook not opted in to training trains nothing and names the command when no run is finished", async () => {
  const zoo = tempDir();
  const runs = tempDir();
  await withEnv({ LLAVA_MORE_PRESET: "tiny", LLAVA_MORE_TRAIN: undefined, LLAVA_MORE_DATA: tempDir(), LLAVA_MORE_ZOO: zoo, LLAVA_MORE_RUNS: runs }, async () => {
    await assert.rejects(runNotebookStudy("pretraining"), (err: Error) => {
      assert.match(err.message, /no run of the pretraining grid is finished at the tiny preset/);
      assert.match(err.message, /training is opt-in/);
      assert.match(err.message, /npx llava-more study --grid pretraining --preset tiny/);
      assert.match(err.message, /LLAVA_MORE_TRAIN=1 npm run notebooks -- notebooks\/06_pretraining_data\.ipynb/);
      return true;
    });
  });
  assert.ok(!existsSync(join(zoo, "tiny")) && !existsSync(join(runs, "tiny", "llama3.1-8b__clip-1x__short__s0")), "no zoo built and no run trained");
});

test("the backbones notebook's zoo is only read without the opt-in: the entries it lacks, how long building them takes and the command", async () => {
  const zoo = tempDir();
  const lines: string[] = [];
  await withEnv({ LLAVA_MORE_TRAIN: undefined, LLAVA_MORE_DATA: tempDir(), LLAVA_MORE_ZOO: zoo, LLAVA_MORE_RUNS: tempDir(), LLAVA_MORE_RESULTS: tempDir() }, async () => {
    const read = await notebookZoo("tiny", { train: false, log: (l) => lines.push(l) });
    assert.deepEqual(read.built, []);
    assert.equal(read.missing.length, 12);
    assert.deepEqual(read.manifest.entries, {});
    assert.equal(archivedZooView("tiny").rows.length, 0, "no archived run at tiny");
  });
  assert.ok(!existsSync(join(zoo, "tiny")), "nothing built");
  assert.match(lines.join("\n"), /lacks 12 of its 12 entries: clip, siglip/);
  assert.match(lines.join("\n"), /run `npm run zoo -- --preset tiny` in a terminal/);
  assert.match(lines.join("\n"), /LLAVA_MORE_TRAIN=1 npm run notebooks -- notebooks\/02_backbones\.ipynb/);
  assert.match(zooBuildTime("small"), /^about 40 minutes on 2 cores, measured 39\.6 min for its 12 entries$/);
});

test("the archived runs at small name the zoo entries and weights they were trained from", () => {
  const view = archivedZooView("small");
  // The committed archive (results/small) trained every entry of the zoo, each from one build.
  assert.deepEqual(view.rows.map((r) => r[0]), ["clip", "siglip", "siglip2", "dinov2", "dinov2-reg", "vicuna-7b", "llama3-8b", "llama3.1-8b", "gemma2-2b", "gemma2-9b", "phi4-mini-3.8b", "r1-distill-llama-8b"]);
  for (const row of view.rows) assert.match(String(row[4]), /^[0-9a-f]{10}$/, `${row[0]}: one build`);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runNotebookStudy } from "../src/study/notebook.js";
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

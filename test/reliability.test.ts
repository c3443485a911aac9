/** Runs you can trust: locks, atomic writes and the refusals that keep saved work whole. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { processStartTime, withLock, writeFileAtomic } from "../src/util/fs.js";
import { tempDir } from "./helpers.js";

test("a lock naming a live process whose id was reused (another start time) is stale and taken over", async () => {
  const dir = tempDir();
  const file = join(dir, "run.lock");
  const init = processStartTime(1);
  if (init === undefined) return; // no /proc: start times are unknown and a live holder is trusted
  writeFileSync(file, `1 ${Number(init) + 12345}\n`);
  assert.equal(await withLock(file, "training", async () => readFileSync(file, "utf8").split(" ")[0]), String(process.pid));
  assert.equal(existsSync(file), false);
  writeFileSync(file, `1 ${init}\n`);
  await assert.rejects(() => withLock(file, "training", async () => 0), /training is in progress in process 1 \(lock .*run\.lock\)/);
  writeFileSync(file, "1\n"); // a lock of an earlier version, without a start time: a live holder is trusted
  await assert.rejects(() => withLock(file, "training", async () => 0), /in progress in process 1/);
});

test("writeFileAtomic replaces a file whole and leaves no temporary file", () => {
  const dir = tempDir();
  const file = join(dir, "sub", "result.json");
  writeFileAtomic(file, "old");
  writeFileAtomic(file, new Uint8Array(Buffer.from("new content")));
  assert.equal(readFileSync(file, "utf8"), "new content");
  assert.deepEqual(readdirSync(join(dir, "sub")), ["result.json"]);
});

/**
 * `npm start` on a fresh clone, without a model zoo: the published tier, the lab tier read from the
 * committed results archive, and the report, with the working tree unchanged afterwards. The clone
 * is of this checkout's HEAD (commit first to test a change), with node_modules and the native build
 * linked in; it generates the small dataset as a new user's first run does. About 75 s on 2 cores.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { projectPath, projectRoot } from "../src/util/paths.js";
import { requireTool, tempDir } from "./helpers.js";

const git = (cwd: string, ...args: string[]) => spawnSync("git", args, { cwd, encoding: "utf8" });
const isCheckout = git(projectRoot(), "rev-parse", "HEAD").status === 0;

test(
  "npm start on a fresh clone without a zoo writes the published and lab tiers and the report from the archive, says what training would take, and leaves git status clean",
  { skip: requireTool(isCheckout, "not a git checkout: nothing to clone"), timeout: 600_000 },
  () => {
    const clone = join(tempDir(), "clone");
    const cloned = git(projectRoot(), "clone", "--quiet", projectRoot(), clone);
    assert.equal(cloned.status, 0, cloned.stderr);
    symlinkSync(projectPath("node_modules"), join(clone, "node_modules"));
    if (existsSync(projectPath("native", "build"))) symlinkSync(projectPath("native", "build"), join(clone, "native", "build"));
    assert.ok(!existsSync(join(clone, "data", "zoo")) && !existsSync(join(clone, "data", "generated", "small-seed0")), "a clone has no zoo and no dataset");
    // Every folder at its default, inside the clone: no LLAVA_MORE_* from the test's environment.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("LLAVA_MORE_")));
    const started = Date.now();
    const run = spawnSync("npm", ["start"], { cwd: clone, env, encoding: "utf8", timeout: 540_000 });
    const seconds = (Date.now() - started) / 1000;
    const out = `${run.stdout}\n${run.stderr}`;
    assert.equal(run.status, 0, out.slice(-4000));
    assert.match(run.stdout, /published tier: \d+ files in/);
    assert.match(run.stdout, /lab study: its 4 runs read from the archive results\/small, none trained; report figures\/report\.md, figures\/report\.html/);
    // Which runs training would take and how long, from the archived runs' recorded wall time, and the zoo it needs.
    assert.match(
      run.stdout,
      /npm start -- --train would train 4 runs anew in runs\/small: llama3\.1-8b__clip-1x__short__s0, llama3\.1-8b__clip-1x__short__s1, llama3\.1-8b__siglip-1x__short__s0, llama3\.1-8b__siglip-1x__short__s1; about \d+(\.\d)? (min|s) on 1 worker \(the study's finished runs took [\d.]+ (min|s) each\), after building the zoo entries it lacks, clip, siglip, llama3\.1-8b: `npm run zoo -- --preset small` \(about 40 minutes/,
    );
    for (const file of ["figures/published/findings.md", "figures/published/tables/readme_results.csv", "figures/lab/findings.md", "figures/lab/effects.csv", "figures/lab/tables/lab_summary.md", "figures/report.md", "figures/report.html"]) {
      assert.match(run.stdout, new RegExp(`wrote ${file.replaceAll(".", "\\.")}\\n`), `${file} written`);
      assert.ok(statSync(join(clone, file)).mtimeMs >= started - 1000, `${file} rewritten by this run`);
    }
    const status = git(clone, "status", "--porcelain");
    assert.equal(status.stdout, "", `npm start changed the clone's tracked files:\n${status.stdout}`);
    console.log(`npm start on a fresh clone: ${seconds.toFixed(1)} s`);
  },
);

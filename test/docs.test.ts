import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { projectRoot } from "../src/util/paths.js";

const ROOT = projectRoot();
const README_MAX_LINES = 400;

const docFiles = (): string[] => [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

/** Relative link targets of a Markdown text (links and images), outside code spans and fenced blocks. */
export function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
  const targets = [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1]!);
  return targets.filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith("#"));
}

test("the README is a guide of at most 400 lines", () => {
  const lines = readFileSync(join(ROOT, "README.md"), "utf8").trimEnd().split("\n").length;
  assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines; at most ${README_MAX_LINES} (move details into docs/)`);
});

test("every relative link in the README and docs/ points to a file that exists", () => {
  const broken: string[] = [];
  for (const doc of docFiles()) {
    for (const target of relativeLinks(readFileSync(join(ROOT, doc), "utf8"))) {
      const path = join(ROOT, dirname(doc), decodeURIComponent(target.replace(/[#?].*$/, "")));
      if (!existsSync(path)) broken.push(`${doc}: ${target} (${relative(ROOT, path)} does not exist)`);
    }
  }
  assert.deepEqual(broken, []);
});

test("the link finder skips code, web addresses and anchors", () => {
  const text = "See [a](docs/a.md#x), ![b](fig.png), [web](https://x.org), [top](#top), `[no](c.md)`.\n```\n[no](d.md)\n```\n";
  assert.deepEqual(relativeLinks(text), ["docs/a.md#x", "fig.png"]);
});

const PROVENANCE = "data/paper/PROVENANCE.md";
/** Backticked paths in PROVENANCE.md that name files of this project (others are the upstream repository's). */
const LOCAL_PREFIXES = ["data/", "figures/", "docs/", "results/"];

function provenanceFileTable(text: string): string[] {
  const section = text.split(/^## Files$/m)[1]?.split(/^## /m)[0];
  if (section === undefined) throw new Error(`${PROVENANCE}: no "## Files" section`);
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((match) => match[1]!);
}

test("PROVENANCE.md lists exactly the files of data/paper/, and every project path it names exists", () => {
  const text = readFileSync(join(ROOT, PROVENANCE), "utf8");
  const listed = provenanceFileTable(text);
  const present = readdirSync(join(ROOT, "data/paper")).filter((name) => !name.startsWith("."));
  assert.deepEqual([...listed].sort(), [...present].sort(), `${PROVENANCE}'s file table against the folder`);
  const named = [...text.matchAll(/`([^`\s]+)`/g)].map((match) => match[1]!).filter((path) => LOCAL_PREFIXES.some((prefix) => path.startsWith(prefix)));
  const missing = named.filter((path) => !existsSync(join(ROOT, path)));
  assert.deepEqual(missing, [], `${PROVENANCE} names project files that do not exist`);
});

test("the README's figures tables name every figure that npm start commits", () => {
  const readme = readFileSync(join(projectRoot(), "README.md"), "utf8");
  for (const folder of ["published", "lab"]) {
    const pngs = readdirSync(join(projectRoot(), "figures", folder)).filter((f) => f.endsWith(".png"));
    assert.ok(pngs.length > 0, `figures/${folder} holds no PNG`);
    for (const png of pngs) assert.ok(readme.includes(`\`${png}\``), `README's figures table does not name figures/${folder}/${png}`);
  }
});

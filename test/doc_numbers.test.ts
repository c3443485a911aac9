import { test } from "node:test";
import assert from "node:assert/strict";
import { projectRoot } from "../src/util/paths.js";
import { checkClaim, numbersIn, readFrom, type Claim, type ClaimSource } from "./doc_claims.js";

const LAB_SUMMARY = "figures/lab/tables/lab_summary.csv";
const LAB_RUNS = "figures/lab/tables/lab_runs.csv";
const FINDINGS = "figures/lab/findings.md";
const EFFECTS = "figures/lab/effects.csv";
const BUILDS = "figures/lab/builds.csv";
const REPORT = "figures/report.md";
const PUBLISHED = "data/paper/readme_results.csv";

const QUICK = "docs/quick_study.md";
const CALIBRATION = "docs/calibration.md";
const PUBLISHED_DOC = "docs/published_data.md";

/** The quick study's table rows as docs/quick_study.md prints them; every cell is checked against lab_summary.csv. */
const QUICK_ROWS = [
  "| llama3.1-8b + clip @ 1x, short captions | 2 | 39.0 ± 12.7 | 32.0 ± 25.4 | 0.0 ± 0.0 | 20.7 ± 84.7 | 52.8 ± 29.8 | 402.2 ± 879.2 | 75.0 ± 317.7 | 0.0 ± 0.0 | 0.0 ± 0.0 | 25.0 ± 63.5 | 23.3 ± 3.2 |",
  "| llama3.1-8b + siglip @ 1x, short captions | 2 | 34.5 ± 25.4 | 33.8 ± 22.2 | 0.0 ± 0.0 | 21.3 ± 67.8 | 43.4 ± 136.1 | 382.1 ± 226.9 | 125.0 ± 317.7 | 0.0 ± 0.0 | 0.9 ± 11.3 | 27.3 ± 22.2 | 18.0 ± 6.4 |",
];
const QUICK_COLUMNS = ["pairing", "seeds", "GQA", "ScienceQA", "TextVQA", "AI2D", "POPE", "MME-P", "MME-C", "MMBench-En", "MMBench-Cn", "SEED-img", "MMMU"];

function quickSummaryClaims(): Claim[] {
  return QUICK_ROWS.flatMap((text) => {
    const cells = text.slice(1, -1).split("|").map((cell) => cell.trim());
    const pairing = cells[0]!;
    return QUICK_COLUMNS.slice(1).map((column, i) => ({
      doc: QUICK,
      text,
      stated: cells[i + 1]!,
      source: { kind: "csv", file: LAB_SUMMARY, row: { pairing }, column },
    }));
  });
}

const findingsCell = (after: string, row: string, column: string): ClaimSource => ({ kind: "markdown", file: FINDINGS, after, row, column });
const VARIABLES = "## Where each variable matters most";
const HABITS = "## More than an answer habit?";
const ABOVE_PRIOR = "## Learned above the text-only baseline?";
const COST = "## What the runs cost";
const effect = (variable: string, a: string, b: string, benchmark: string, column: string): ClaimSource => ({
  kind: "csv",
  file: EFFECTS,
  row: { variable, level_a: a, level_b: b, benchmark },
  column,
});
const anchorBuilds = (benchmark: string, column: string): ClaimSource => ({
  kind: "csv",
  file: BUILDS,
  row: { pairing: "llama3.1-8b, clip, 1x, short captions", benchmark },
  column,
});
const published = (model_id: string, benchmark: string): ClaimSource => ({ kind: "csv", file: PUBLISHED, row: { model_id, benchmark }, column: "score" });
const runGap = (run: string): ClaimSource => ({ kind: "csv", file: LAB_RUNS, row: { run }, column: "image gap (nats)" });

export const CLAIMS: readonly Claim[] = [
  // The quick study (docs/quick_study.md): scores, run count, run time, stage times, image gaps, verdicts.
  ...quickSummaryClaims(),
  { doc: QUICK, text: "126.1 minutes of run time for the 4 runs", stated: "126.1", source: { kind: "csvSum", file: LAB_RUNS, column: "total (min)" } },
  { doc: QUICK, text: "126.1 minutes of run time for the 4 runs", stated: "4", source: { kind: "csvCount", file: LAB_RUNS } },
  { doc: QUICK, text: "126.1 minutes of run time for the 4 runs", stated: "126.1", source: { kind: "text", file: REPORT, pattern: /\(([\d.]+) minutes of run time\)/ } },
  { doc: QUICK, text: "took 28.5–39.3 minutes each", stated: "28.5–39.3", source: { kind: "csvRange", file: LAB_RUNS, column: "total (min)" } },
  { doc: QUICK, text: "(stage 1 224–311 s, stage 2 1,398–1,909 s, evaluation 65–71 s)", stated: "224–311", source: { kind: "csvRange", file: LAB_RUNS, column: "stage 1 (s)" } },
  { doc: QUICK, text: "(stage 1 224–311 s, stage 2 1,398–1,909 s, evaluation 65–71 s)", stated: "1,398–1,909", source: { kind: "csvRange", file: LAB_RUNS, column: "stage 2 (s)" } },
  { doc: QUICK, text: "(stage 1 224–311 s, stage 2 1,398–1,909 s, evaluation 65–71 s)", stated: "65–71", source: { kind: "csvRange", file: LAB_RUNS, column: "eval (s)" } },
  { doc: QUICK, text: "The CLIP runs' image gaps are 0.081 and 0.015", stated: "0.081", source: runGap("llama3.1-8b__clip-1x__short__s0") },
  { doc: QUICK, text: "The CLIP runs' image gaps are 0.081 and 0.015", stated: "0.015", source: runGap("llama3.1-8b__clip-1x__short__s1") },
  { doc: QUICK, text: "(−5.3, 95% CI −8.7…−1.8)", source: { kind: "text", file: REPORT, pattern: /Finding 4 — contradicted\.\*\*.*?\(MMMU (\S+, 95% CI \S+)\)/ } },
  { doc: QUICK, text: "MMMU the other way (−4.5, 95% CI −6.2…−2.8)", stated: "−4.5, 95% CI −6.2…−2.8", source: { kind: "text", file: FINDINGS, pattern: /Finding 4 — contradicted\.\*\*.*?\(MMMU (\S+, 95% CI \S+)\)/ } },

  // The calibration grid re-run into the archive (docs/calibration.md) against figures/lab/.
  { doc: CALIBRATION, text: "(SigLIP's MMMU row 0.17 of 88 contrasts;", stated: "0.17", source: findingsCell(VARIABLES, "vision-tower objective", "p × contrasts") },
  { doc: CALIBRATION, text: "(SigLIP's MMMU row 0.17 of 88 contrasts;", stated: "88", source: findingsCell(VARIABLES, "vision-tower objective", "contrasts") },
  { doc: CALIBRATION, text: "resolution does on the habit-free ones, 0.031 of 40)", stated: "0.031", source: findingsCell(HABITS, "resolution (native sides and S2)", "p × contrasts") },
  { doc: CALIBRATION, text: "resolution does on the habit-free ones, 0.031 of 40)", stated: "40", source: findingsCell(HABITS, "resolution (native sides and S2)", "contrasts") },
  { doc: CALIBRATION, text: "(|z| ≤ 1.0 on the headline scores, 1.8 above the habit)", stated: "1.0", magnitude: true, source: findingsCell(VARIABLES, "LLM size within one family (Gemma-2 2B vs 9B)", "z") },
  { doc: CALIBRATION, text: "(|z| ≤ 1.0 on the headline scores, 1.8 above the habit)", stated: "1.8", magnitude: true, source: findingsCell(HABITS, "LLM size within one family (Gemma-2 2B vs 9B)", "z") },
  { doc: CALIBRATION, text: "(GQA −8.5, z −3.68)", stated: "−8.5", source: effect("tower", "clip", "siglip2", "GQA", "effect") },
  { doc: CALIBRATION, text: "(GQA −8.5, z −3.68)", stated: "−3.68", source: effect("tower", "clip", "siglip2", "GQA", "z") },
  { doc: CALIBRATION, text: "GQA the other way beyond it (−8.5, 95% CI −13.8…−3.2,", stated: "−8.5, 95% CI −13.8…−3.2", source: { kind: "text", file: FINDINGS, pattern: /Finding 5 — contradicted\.\*\*.*?\(GQA (\S+, 95% CI \S+)\)/ } },
  { doc: CALIBRATION, text: "POPE rise over CLIP (+12.9, z 3.30, p 0.051)", stated: "+12.9", source: effect("tower", "clip", "siglip2", "POPE", "effect") },
  { doc: CALIBRATION, text: "POPE rise over CLIP (+12.9, z 3.30, p 0.051)", stated: "3.30", source: effect("tower", "clip", "siglip2", "POPE", "z") },
  { doc: CALIBRATION, text: "POPE rise over CLIP (+12.9, z 3.30, p 0.051)", stated: "0.051", source: effect("tower", "clip", "siglip2", "POPE", "p_welch") },
  { doc: CALIBRATION, text: "The whole grid cost 1,497 minutes of run time", stated: "1,497", source: { kind: "text", file: FINDINGS, pattern: /([\d.]+) min of run time in all/ } },
  { doc: CALIBRATION, text: "**1,497.2 minutes (25 h) of run time for the 45 runs**", stated: "1,497.2", source: { kind: "text", file: FINDINGS, pattern: /([\d.]+) min of run time in all/ } },
  { doc: CALIBRATION, text: "**1,497.2 minutes (25 h) of run time for the 45 runs**", stated: "45", source: { kind: "text", file: FINDINGS, pattern: /From \d+ scores of (\d+) runs/ } },
  { doc: CALIBRATION, text: "19.3–75.5 min a run, one OpenBLAS thread each", stated: "19.3–75.5", source: { kind: "text", file: FINDINGS, pattern: /\(([\d.]+–[\d.]+) min per run\)/ } },
  { doc: CALIBRATION, text: "Gemma-2-9B + CLIP 66.0 and + SigLIP2 60.1, LLaMA-3-8B 47.9", stated: "66.0", source: findingsCell(COST, "gemma2-9b__clip-1x__short", "wall time per run (min)") },
  { doc: CALIBRATION, text: "Gemma-2-9B + CLIP 66.0 and + SigLIP2 60.1, LLaMA-3-8B 47.9", stated: "60.1", source: findingsCell(COST, "gemma2-9b__siglip2-1x__short", "wall time per run (min)") },
  { doc: CALIBRATION, text: "Gemma-2-9B + CLIP 66.0 and + SigLIP2 60.1, LLaMA-3-8B 47.9", stated: "47.9", source: findingsCell(COST, "llama3-8b__clip-1x__short", "wall time per run (min)") },
  { doc: CALIBRATION, text: "DINOv2 with registers 21.0, Gemma-2-2B 20.0 min", stated: "21.0", source: findingsCell(COST, "llama3.1-8b__dinov2-reg-1x__short", "wall time per run (min)") },
  { doc: CALIBRATION, text: "DINOv2 with registers 21.0, Gemma-2-2B 20.0 min", stated: "20.0", source: findingsCell(COST, "gemma2-2b__clip-1x__short", "wall time per run (min)") },
  { doc: CALIBRATION, text: "POPE's best pairing, SigLIP + S2 (66.4 ± 0.5 against a prior of 63.0)", stated: "66.4 ± 0.5", source: findingsCell(ABOVE_PRIOR, "POPE", "its mean ± seed SD") },
  { doc: CALIBRATION, text: "POPE's best pairing, SigLIP + S2 (66.4 ± 0.5 against a prior of 63.0)", stated: "63.0", source: findingsCell(ABOVE_PRIOR, "POPE", "text-only prior") },
  { doc: CALIBRATION, text: "*Learned above the prior:* still GQA only (6 of 15 pairings)", stated: "6 of 15", source: findingsCell(ABOVE_PRIOR, "GQA", "pairings above it") },
  { doc: CALIBRATION, text: "has the best GQA (42.2 ± 2.5, prior 30.0)", stated: "42.2 ± 2.5", source: findingsCell(ABOVE_PRIOR, "GQA", "its mean ± seed SD") },
  { doc: CALIBRATION, text: "has the best GQA (42.2 ± 2.5, prior 30.0)", stated: "30.0", source: findingsCell(ABOVE_PRIOR, "GQA", "text-only prior") },
  { doc: CALIBRATION, text: "*Image gaps*: CLIP + S2 0.013 (mean of three seeds;", stated: "0.013", source: findingsCell(COST, "llama3.1-8b__clip-1x+S2__short", "image gap (nats)") },
  { doc: CALIBRATION, text: "the LLM family (below, 3.64 → 2.74)", stated: "3.64 → 2.74", source: { kind: "text", file: FINDINGS, pattern: /\| LLM family at equal size \| MMMU: llama3\.1-8b vs llama3-8b \| [^|]+\| [^|]+\| [^|]+\| ([\d.]+ \| [\d.]+) \|/ } },
  { doc: CALIBRATION, text: "| GQA | 40.0 / 40.5 / 38.0 | 1.3 | 1.0 |", stated: "1.3", source: anchorBuilds("GQA", "build_sd") },
  { doc: CALIBRATION, text: "| GQA | 40.0 / 40.5 / 38.0 | 1.3 | 1.0 |", stated: "1.0", source: anchorBuilds("GQA", "seed_sd") },
  { doc: CALIBRATION, text: "| POPE | 50.5 / 60.9 / 62.8 | 6.6 | 8.3 |", stated: "6.6", source: anchorBuilds("POPE", "build_sd") },
  { doc: CALIBRATION, text: "| POPE | 50.5 / 60.9 / 62.8 | 6.6 | 8.3 |", stated: "8.3", source: anchorBuilds("POPE", "seed_sd") },
  { doc: CALIBRATION, text: "| MME-C | 50 / 100 / 100 | 28.9 | 28.9 |", stated: "28.9", source: anchorBuilds("MME-C", "build_sd") },
  { doc: CALIBRATION, text: "| MME-P | 333.0 / 371.4 / 350.0 | 19.2 | 123.1 |", stated: "123.1", source: anchorBuilds("MME-P", "seed_sd") },
  { doc: CALIBRATION, text: "| MMMU | 23.0 / 22.5 / 21.0 | 1.0 | 0.8 |", stated: "0.8", source: anchorBuilds("MMMU", "seed_sd") },

  // Published scores quoted (docs/published_data.md, data/paper/PROVENANCE.md) against readme_results.csv.
  { doc: PUBLISHED_DOC, text: "GQA runs from 62.1 (Phi-4-mini-3.8B + CLIP)", stated: "62.1", source: published("llava-more-phi4-mini-3.8b-clip", "GQA") },
  { doc: PUBLISHED_DOC, text: "to 65.6 (Gemma-2-9B + SigLIP2, bold in the source)", stated: "65.6", source: published("llava-more-gemma2-9b-siglip2", "GQA") },
  { doc: PUBLISHED_DOC, text: "baseline scores 62.4", stated: "62.4", source: published("llava-1.5-7b", "GQA") },
  { doc: PUBLISHED_DOC, text: "MME-P runs from 1372.2 (Phi-4-mini-3.8B)", stated: "1372.2", source: published("llava-more-phi4-mini-3.8b-clip", "MME-P") },
  { doc: PUBLISHED_DOC, text: "to 1563.8 (LLaMA-3.1-8B + CLIP with S2)", stated: "1563.8", source: published("llava-more-llama3.1-8b-clip-s2", "MME-P") },
  { doc: PUBLISHED_DOC, text: "`readme_results.csv` (the 130 published scores", stated: "130", source: { kind: "csvCount", file: PUBLISHED } },
  { doc: "data/paper/PROVENANCE.md", text: "| `readme_results.csv` | **130** (10 models x 13 benchmarks)", stated: "130", source: { kind: "csvCount", file: PUBLISHED } },
];

test("every number listed from the README and docs/ agrees with the file it cites", () => {
  const read = readFrom(projectRoot());
  const problems = CLAIMS.flatMap((claim) => checkClaim(claim, read));
  assert.deepEqual(problems, []);
});

// The checker itself, on hand-made docs and sources.
const FILES: Record<string, string> = {
  "doc.md": "Seed SD 1.0 and build SD\n0.17 of 88; cost 1,497 minutes; range 3–9 s, 12 s in all; GQA −8.5 (CI −13.8…−3.2).\n",
  "table.md": "# T\n\n## Other\n\n| a | b |\n|---|---|\n| x | 1 |\n\n## Where\n\n| variable | \\|z\\| > 2 | p × contrasts |\n|---|---|---:|\n| tower | yes | 0.172 |\n",
  "data.csv": 'name,value,seconds\n"a, b",0.1722,3\nc,-8.46,9\n',
  "data.json": '{"runs": [{"minutes": 1497.24}]}',
  "report.md": "Finding 5: (GQA −8.5, 95% CI −13.8…−3.2)\n",
};
const read = (file: string): string => {
  const text = FILES[file];
  if (text === undefined) throw new Error(`no file ${file}`);
  return text;
};
const withDoc = (doc: string, run: () => void): void => {
  const saved = FILES["doc.md"]!;
  FILES["doc.md"] = doc;
  try {
    run();
  } finally {
    FILES["doc.md"] = saved;
  }
};

test("the checker passes a claim whose number agrees with its source at the doc's rounding", () => {
  const claims: Claim[] = [
    { doc: "doc.md", text: "build SD 0.17 of 88", stated: "0.17", source: { kind: "markdown", file: "table.md", after: "## Where", row: "tower", column: "p × contrasts" } },
    { doc: "doc.md", text: "0.17 of 88", stated: "0.17", source: { kind: "csv", file: "data.csv", row: { name: "a, b" }, column: "value" } },
    { doc: "doc.md", text: "cost 1,497 minutes", stated: "1,497", source: { kind: "json", file: "data.json", path: ["runs", 0, "minutes"] } },
    { doc: "doc.md", text: "range 3–9 s", stated: "3–9", source: { kind: "csvRange", file: "data.csv", column: "seconds" } },
    { doc: "doc.md", text: "GQA −8.5", stated: "−8.5", source: { kind: "csv", file: "data.csv", row: { name: "c" }, column: "value" } },
    { doc: "doc.md", text: "(CI −13.8", stated: "13.8", magnitude: true, source: { kind: "text", file: "report.md", pattern: /CI (−[\d.]+)/ } },
    { doc: "doc.md", text: "(CI −13.8…−3.2)", stated: "−13.8…−3.2", source: { kind: "text", file: "report.md", pattern: /CI (\S+)\)/ } },
    { doc: "doc.md", text: "12 s in all", stated: "12", source: { kind: "csvSum", file: "data.csv", column: "seconds" } },
  ];
  for (const claim of claims) assert.deepEqual(checkClaim(claim, read), [], claim.text);
  assert.deepEqual(numbersIn("−6.2…−2.8 and 1,497.2"), ["−6.2", "−2.8", "1,497.2"]);
});

test("the checker fails when the doc's number, the source's value or the doc's text changes", () => {
  const claim: Claim = { doc: "doc.md", text: "build SD 0.17 of 88", stated: "0.17", source: { kind: "markdown", file: "table.md", after: "## Where", row: "tower", column: "p × contrasts" } };
  withDoc("Seed SD 1.0 and build SD 0.18 of 88\n", () => {
    const edited = { ...claim, text: "build SD 0.18 of 88", stated: "0.18" };
    assert.match(checkClaim(edited, read).join("\n"), /states 0\.18, table\.md gives 0\.172/);
  });
  withDoc("Seed SD 1.0 and nothing else\n", () => {
    assert.match(checkClaim(claim, read).join("\n"), /text not found in the doc/);
  });
  const saved = FILES["table.md"]!;
  FILES["table.md"] = saved.replace("0.172", "0.21");
  try {
    assert.match(checkClaim(claim, read).join("\n"), /states 0\.17, table\.md gives 0\.21/);
  } finally {
    FILES["table.md"] = saved;
  }
  const wrongSign: Claim = { doc: "doc.md", text: "GQA −8.5", stated: "−8.5", source: { kind: "csv", file: "data.csv", row: { name: "a, b" }, column: "value" } };
  assert.match(checkClaim(wrongSign, read).join("\n"), /states −8\.5, data\.csv gives 0\.1722/);
  const tooFew: Claim = { doc: "doc.md", text: "(CI −13.8…−3.2)", stated: "−13.8…−3.2", source: { kind: "csv", file: "data.csv", row: { name: "c" }, column: "value" } };
  assert.match(checkClaim(tooFew, read).join("\n"), /states 2 number\(s\)/);
});

test("the checker names the source and the missing row or column", () => {
  assert.throws(() => checkClaim({ doc: "doc.md", text: "0.17", source: { kind: "csv", file: "data.csv", row: { name: "zz" }, column: "value" } }, read), /data\.csv: 0 rows match/);
  assert.throws(() => checkClaim({ doc: "doc.md", text: "0.17", source: { kind: "markdown", file: "table.md", after: "## Where", row: "tower", column: "nope" } }, read), /table\.md:\d+: no column "nope"/);
  assert.throws(() => checkClaim({ doc: "doc.md", text: "0.17", source: { kind: "markdown", file: "table.md", after: "## Nowhere", row: "tower", column: "b" } }, read), /no line contains/);
});

/**
 * Completeness of the registries built from the family, template and tower files: every registered LLM
 * family has its recipe data (zoo rungs with a recipe at every preset), a registered template that
 * renders, and its own test; every template has its test; every tower has its objective and its test.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LLM_FAMILY_DEFINITIONS } from "../src/models/llm/families.js";
import { LLM_ARCHITECTURES, LLM_FAMILIES, LLM_FAMILY_TEMPLATES, llmArchitecture, llmConfig, ZOO_LLMS } from "../src/models/llm/registry.js";
import { IMAGE_PLACEHOLDER } from "../src/models/templates/template.js";
import { CHAT_TEMPLATES, chatTemplate, FAMILY_TEMPLATES, familyTemplate } from "../src/models/templates/registry.js";
import { VISION_FAMILIES } from "../src/models/vision/config.js";
import { VISION_ARCHITECTURES, visionArchitecture } from "../src/models/vision/registry.js";
import { VISION_TOWER_DEFINITIONS } from "../src/models/vision/towers.js";
import { PRESETS } from "../src/presets.js";
import { LLM_RECIPES, llmRecipe } from "../src/train/llm_recipes.js";
import { OBJECTIVES, towerObjective } from "../src/train/objectives/registry.js";
import { projectRoot } from "../src/util/paths.js";

const root = projectRoot();
/** A family or tower name as its file is named: "llama3.1" → llama3_1, "dinov2-reg" → dinov2_reg. */
const fileName = (name: string): string => name.replace(/[.-]/g, "_");
const read = (path: string): string => (existsSync(join(root, path)) ? readFileSync(join(root, path), "utf8") : "");

test("the registries list every family and tower file once, in definition order", () => {
  assert.deepEqual([...LLM_FAMILIES], LLM_FAMILY_DEFINITIONS.map((d) => d.family));
  assert.deepEqual(Object.keys(LLM_ARCHITECTURES), [...LLM_FAMILIES]);
  assert.equal(new Set(LLM_FAMILIES).size, LLM_FAMILIES.length);
  assert.deepEqual([...VISION_FAMILIES], VISION_TOWER_DEFINITIONS.map((d) => d.family));
  assert.deepEqual(Object.keys(VISION_ARCHITECTURES), [...VISION_FAMILIES]);
  assert.equal(new Set(VISION_FAMILIES).size, VISION_FAMILIES.length);
  for (const family of LLM_FAMILIES) assert.ok(existsSync(join(root, "src/models/llm", `${fileName(family)}.ts`)), `${family}: no src/models/llm/${fileName(family)}.ts`);
  for (const tower of VISION_FAMILIES) assert.ok(existsSync(join(root, "src/models/vision", `${fileName(tower)}.ts`)), `${tower}: no src/models/vision/${fileName(tower)}.ts`);
});

test("every LLM family has its recipe data: zoo rungs of its own, each with a recipe at every preset", () => {
  assert.equal(new Set(ZOO_LLMS.map((z) => z.name)).size, ZOO_LLMS.length, "a zoo name is used twice (a family that spreads another's definition must name its own rungs)");
  for (const family of LLM_FAMILIES) {
    const arch = llmArchitecture(family);
    const rungs = ZOO_LLMS.filter((z) => z.family === family);
    assert.ok(rungs.length > 0, `${family}: no zoo rung`);
    for (const preset of PRESETS) {
      assert.doesNotThrow(() => llmRecipe(family, arch.defaultSize, preset), `${family} ${preset}`);
      for (const z of rungs) {
        const recipe = LLM_RECIPES[preset][z.name];
        assert.ok(recipe, `${z.name}: no ${preset} recipe`);
        assert.equal(llmRecipe(family, z.size, preset), recipe);
        assert.ok(recipe.text.steps > 0 && recipe.instruct.steps > 0, `${z.name} ${preset}`);
        assert.equal(recipe.reasoning !== undefined, arch.reasoningTraces, `${z.name} ${preset}: a reasoning phase exactly where the family has reasoning traces`);
      }
    }
  }
});

test("every LLM family names a registered template that renders, with its document marks among its special tokens", () => {
  const conversation = { turns: [{ user: `${IMAGE_PLACEHOLDER}\nWhat is it?`, assistant: "A star." }] };
  for (const family of LLM_FAMILIES) {
    const name = LLM_FAMILY_TEMPLATES[family];
    assert.equal(name, llmConfig(family, "tiny").template, family);
    const template = familyTemplate(name);
    assert.equal(chatTemplate(name), template, `${family}: ${name}`);
    const segments = template.render(conversation);
    assert.ok(segments.some((s) => s.loss && s.text.startsWith("A star.")), `${family}: ${name} puts the loss on the reply`);
    assert.ok(segments.some((s) => !s.loss && s.text.includes(IMAGE_PLACEHOLDER)), `${family}: ${name} keeps the image in the prompt`);
    assert.ok(template.prompt({ turns: [] }, "Hi").includes("Hi"), `${family}: ${name} prompts`);
    const { bos, eos } = template.documentMarks;
    for (const mark of [...(bos === undefined ? [] : [bos]), eos]) assert.ok(template.specialTokens.includes(mark), `${family}: ${name}'s document mark ${mark} is not a special token`);
    for (const stop of template.stopTokens) assert.ok(template.specialTokens.includes(stop), `${family}: ${name}'s stop token ${stop} is not a special token`);
  }
  for (const [name, template] of Object.entries(CHAT_TEMPLATES)) assert.equal(template.name, name);
  for (const [name, template] of Object.entries(FAMILY_TEMPLATES)) assert.equal(template.name, name);
});

test("every LLM family has its test file, which runs the family checks on it", () => {
  for (const family of LLM_FAMILIES) {
    const path = `test/families/${fileName(family)}.test.ts`;
    assert.ok(read(path).includes(`llmFamilyChecks(${JSON.stringify(family)})`), `${family}: ${path} is missing or does not call llmFamilyChecks(${JSON.stringify(family)})`);
  }
  const files = readdirSync(join(root, "test/families")).filter((f) => f.endsWith(".test.ts"));
  assert.deepEqual(files.sort(), LLM_FAMILIES.map((f) => `${fileName(f)}.test.ts`).sort(), "a test file without its family");
});

test("every template has its test in test/templates.test.ts", () => {
  const tests = read("test/templates.test.ts");
  for (const name of Object.keys(CHAT_TEMPLATES)) assert.ok(tests.includes(`split(${JSON.stringify(name)})`), `${name}: no split(${JSON.stringify(name)}) in test/templates.test.ts`);
});

test("every tower names a registered objective and has its test file, which runs the tower checks on it", () => {
  for (const [name, objective] of Object.entries(OBJECTIVES)) assert.equal(objective.name, name, "an objective is registered under its own name");
  for (const tower of VISION_FAMILIES) {
    const objective = towerObjective(tower);
    assert.ok(objective, `${tower}: no objective`);
    assert.equal(objective.name, visionArchitecture(tower).objective, tower);
    for (const preset of PRESETS) assert.equal(typeof objective.recipe(preset), "object", `${tower} ${preset}`);
    const path = `test/towers/${fileName(tower)}.test.ts`;
    assert.ok(read(path).includes(`towerChecks(${JSON.stringify(tower)})`), `${tower}: ${path} is missing or does not call towerChecks(${JSON.stringify(tower)})`);
  }
  const files = readdirSync(join(root, "test/towers")).filter((f) => f.endsWith(".test.ts"));
  assert.deepEqual(files.sort(), VISION_FAMILIES.map((f) => `${fileName(f)}.test.ts`).sort(), "a test file without its tower");
});

/** The zoo's LLM entries: the paper's seven LLMs, each pretrained by `pretrainLlm` and probed. */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { backendInfo } from "../backend/index.js";
import type { Dataset } from "../data/dataset.js";
import { llmProbeRow, llmProbes, type LanguageModel } from "../probes/llm_probes.js";
import { loadCheckpoint, readConfig, saveCheckpoint } from "../models/checkpoint.js";
import type { LlmConfig } from "../models/llm/config.js";
import { CausalLM } from "../models/llm/decoder.js";
import type { Preset } from "../presets.js";
import { FamilyTokenizer } from "../models/tokenizer/tokenizer.js";
import { writeJson } from "../util/jsonl.js";
import { pretrainLlm } from "../train/llm_pretrain.js";
import { LLM_RECIPES, ZOO_LLMS } from "../train/llm_recipes.js";
import { folderBytes } from "../util/fs.js";
import { mean } from "../util/stats.js";
import { thinCurve, type ZooEntryManifest } from "./entry.js";

export interface ZooLlmBuilder {
  /** The preset's recipe, as data: part of the entry's build key. */
  recipe(preset: Preset): object;
  build(zoo: string, dataset: Dataset, options: { preset: Preset; seed: number; steps?: number; progress?: boolean }, key: string): Promise<ZooEntryManifest>;
}

export const llmDir = (zoo: string, name: string): string => join(zoo, "llms", name);


export const ZOO_LLM_BUILDERS: Record<string, ZooLlmBuilder> = Object.fromEntries(
  ZOO_LLMS.map((entry) => [
    entry.name,
    {
      recipe: (preset) => LLM_RECIPES[preset][entry.name],
      async build(zoo, dataset, options, key) {
        const work = join(zoo, ".work", entry.name);
        const result = await pretrainLlm({ family: entry.family, size: entry.size, preset: options.preset, seed: options.seed, dataset, checkpointDir: work, progress: options.progress, steps: options.steps });
        const system = LLM_RECIPES[options.preset][entry.name].systemPrompt ? undefined : "";
        const probes = llmProbeRow(llmProbes({ model: result.model, tokenizer: result.tokenizer }, dataset, { system }));
        const dir = llmDir(zoo, entry.name);
        rmSync(dir, { recursive: true, force: true });
        saveCheckpoint(dir, result.model, result.config, { dtype: "F16", metadata: { family: entry.family, size: entry.size } });
        result.tokenizer.save(dir);
        const last = result.phases[result.phases.length - 1]!;
        const manifest: ZooEntryManifest = {
          kind: "llm",
          name: entry.name,
          key,
          objective: result.phases.map((p) => p.phase).join(" → "),
          summary: "next-token prediction on the world's text, then instruction dialogues (loss on replies)" + (result.phases.some((p) => p.phase === "reasoning") ? ", then reasoning traces" : ""),
          data: result.phases.map((p) => `${p.phase}: ${p.data}`).join("; "),
          steps: result.steps,
          batchSize: result.recipe.text.batchSize,
          seed: options.seed,
          backend: backendInfo().name,
          finalLoss: mean(last.losses.slice(-10)),
          finalTerms: Object.fromEntries(result.phases.map((p) => [p.phase, mean(p.losses.slice(-10))])),
          lossCurve: thinCurve(result.losses),
          probes,
          parameters: result.model.parameterCount(),
          bytes: folderBytes(dir),
          seconds: result.seconds,
        };
        writeJson(join(dir, "entry.json"), manifest);
        result.model.dispose();
        rmSync(work, { recursive: true, force: true });
        return manifest;
      },
    } satisfies ZooLlmBuilder,
  ]),
);

/** An LLM and its tokenizer from the zoo. */
export function loadZooLlm(zoo: string, name: string): LanguageModel {
  const dir = llmDir(zoo, name);
  if (!existsSync(join(dir, "entry.json"))) throw new Error(`${dir}: no ${name} in the zoo; build it with: npm run zoo -- --only ${name}`);
  const model = new CausalLM(readConfig<LlmConfig>(dir), 0);
  loadCheckpoint(dir, model);
  return { model, tokenizer: FamilyTokenizer.load(dir) };
}

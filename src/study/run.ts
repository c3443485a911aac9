/**
 * One study run: a pairing (LLM × tower × resolution × stage-1 captions × seed) trained with the
 * unified protocol and evaluated on the benchmarks. Everything lands in the run's folder:
 *
 *   run.json                 the pairing, preset, protocol and the run's key
 *   log.jsonl                one line per optimiser step: stage, loss, learning rate, throughput, backend
 *   binding.jsonl            binding per family on validation scenes, measured BINDING_POINTS times in stage 2
 *   stage1/resume, stage2/resume   resumable checkpoints (a killed run continues from them)
 *   stage1/projector.safetensors   the aligned projector, stage 2's starting point
 *   model/                   the final LLaVA weights (LLM + projector, fp32) and config
 *   eval/                    lmms-eval-like results.json and samples_<task>.jsonl
 *   result.json              written last, atomically: the run is finished when it exists
 *   eval-limit100/, result-limit100.json   the same for an evaluation on the first 100 items per task
 *
 * Runs are deterministic for a seed and backend, and a killed run resumed ends with the same
 * result as an uninterrupted one (the batch of each step is a function of the step).
 */
import * as tf from "@tensorflow/tfjs";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { totalmem } from "node:os";
import { dirname, join } from "node:path";
import { backendInfo, describeBackend } from "../backend/index.js";
import { describeKernelBuild, kernelBuild, PORTABLE_BITS_ENV, PORTABLE_CLASS, type KernelBuild } from "../backend/kernel_build.js";
import { CAPTION_STYLES } from "../data/captions.js";
import { Dataset, defaultDatasetDir, imageFile, type DatasetPart } from "../data/dataset.js";
import { questionSample } from "../data/instructions.js";
import type { LlavaSample as LlavaJsonSample } from "../data/llava_json.js";
import { evaluateAll, saveEvaluation, type TaskEvaluation } from "../eval/runner.js";
import { taskUnderProfile, TASK_NAMES } from "../benchmarks/registry.js";
import { DEFAULT_PROFILE, type Profile } from "../eval/profile.js";
import { validationBenchmarks } from "../benchmarks/validation.js";
import { imageReliance, type ImageReliance } from "../probes/image_reliance.js";
import { bindingScores, bindingSet, measureBinding, type BindingAnswerOptions, type BindingSet } from "../probes/binding_eval.js";
import { encodeSafetensors, loadCheckpoint, readSafetensors, saveCheckpoint } from "../models/checkpoint.js";
import { LlavaModel } from "../models/llava/llava.js";
import type { Preset } from "../presets.js";
import { chatTemplate } from "../models/templates/registry.js";
import type { ChatTemplate } from "../models/templates/template.js";
import type { FamilyTokenizer } from "../models/tokenizer/tokenizer.js";
import { isVisionFamily, VISION_FAMILIES, type VisionFamily } from "../models/vision/config.js";
import { concatSets, encodeSamples, stage1Template, trainStage, type EncodedSet } from "../train/llava_stages.js";
import { checkpointStep, type StepInfo } from "../train/loop.js";
import { mixtureSamples, PROTOCOLS, stageSteps, type Protocol } from "../train/protocol.js";
import { defaultZooDir, loadZooTower, towerDir, zooDataKey, zooEntryKey, zooTowerEntry } from "../zoo/zoo.js";
import { llmDir, loadZooLlm } from "../zoo/llms.js";
import { fileHash, withLock, writeFileAtomic } from "../util/fs.js";
import { readJsonFile, readJsonl, writeJson, writeJsonl } from "../util/jsonl.js";
import { projectRoot } from "../util/paths.js";
import { checkSeed, hashString } from "../util/random.js";
import { cachedFeatureModel } from "./answerer.js";
import { FeatureStore, type FeatureTower } from "../data/feature_cache.js";
import { checkResolution, resolutionLabel } from "../models/vision/resolution.js";
import { visionConfig } from "../models/vision/registry.js";
import { zooLlm } from "./grid.js";
import { resultKernels, runId, type BindingPoint, type PairingSpec, type RunResult, type StageSummary } from "../analysis/run_record.js";

export const EVAL_SPLITS = ["benchmark", "validation"] as const;
export type EvalSplit = (typeof EVAL_SPLITS)[number];

export interface RunOptions {
  preset: Preset;
  spec: PairingSpec;
  datasetDir?: string;
  zooDir?: string;
  /** Folder holding one folder per run (default: runsRoot(preset)). */
  runsDir?: string;
  protocol?: Protocol;
  /** Evaluate only the first `evalLimit` items of each task (quick studies). */
  evalLimit?: number;
  tasks?: readonly string[];
  /** Evaluate on the benchmark files (default) or on the validation split, which tuning uses (src/benchmarks/validation.ts). */
  split?: EvalSplit;
  /** The scoring profile (src/eval/profile.ts; default vendored): another one gets its own result file, result-current.json. */
  lmmsEval?: Profile;
  /**
   * The class of the kernel build the run is trained and evaluated with (src/backend/kernel_build.ts):
   * "portable" or a native build's, such as "avx512+SkylakeX". Default: this process's build. A process
   * of another build refuses to train or evaluate the run.
   */
  kernels?: string;
  progress?: boolean;
  log?: (line: string) => void;
  /** Stops the run with an error after this step of a stage (tests simulate a kill with it). */
  interruptAfter?: { stage: 1 | 2; step: number };
}

/** Where runs live: $LLAVA_MORE_RUNS, else runs/ in the project, one folder per preset. */
export const runsRoot = (preset: string): string => join(process.env["LLAVA_MORE_RUNS"] ?? join(projectRoot(), "runs"), preset);

export const runDir = (options: Pick<RunOptions, "preset" | "spec" | "runsDir">): string => join(options.runsDir ?? runsRoot(options.preset), runId(options.spec));

/**
 * Identifies what a run trains: pairing, preset, the protocol's training part, the data, the zoo
 * entries and the kernel build's class. The portable bits (and `kernels` absent) add nothing, so the
 * keys of runs trained before builds were recorded, all in the portable bits, still match.
 */
export function trainKey(options: Pick<RunOptions, "spec" | "preset" | "kernels">, protocol: Protocol, datasetKey: string, zooKeys: ZooKeys = {}): string {
  const { eval: _eval, validationScenes: _validation, ...training } = protocol;
  const kernels = (options.kernels ?? PORTABLE_CLASS) !== PORTABLE_CLASS ? { kernels: options.kernels } : {};
  return hashString(JSON.stringify({ spec: options.spec, preset: options.preset, protocol: training, datasetKey, zoo: zooKeys, ...kernels })).toString(16).padStart(8, "0");
}

/** The build keys of the zoo entries a run starts from: a rebuilt LLM or tower makes its runs train again. */
export interface ZooKeys {
  llm?: string;
  tower?: string;
}

/** Identifies a run's result: what it trained and how it was evaluated. */
export function resultKey(options: Pick<RunOptions, "spec" | "preset" | "evalLimit" | "tasks" | "split" | "lmmsEval" | "kernels">, protocol: Protocol, datasetKey: string, zooKeys: ZooKeys = {}): string {
  const tasks = [...(options.tasks ?? TASK_NAMES)];
  const split = options.split === "validation" ? { split: "validation", scenes: protocol.validationScenes } : {};
  // The default profile adds nothing, so the keys of runs scored before profiles existed still match.
  const profile = (options.lmmsEval ?? DEFAULT_PROFILE) !== DEFAULT_PROFILE ? { lmmsEval: options.lmmsEval } : {};
  return hashString(JSON.stringify({ train: trainKey(options, protocol, datasetKey, zooKeys), eval: protocol.eval, evalLimit: options.evalLimit ?? null, tasks, ...split, ...profile })).toString(16).padStart(8, "0");
}

/**
 * The result file of an evaluation setting: result.json for the full benchmarks, result-limit100.json
 * (with eval-limit100/) for a quick one, so a quick and a full evaluation of one run coexist.
 */
export function evalSuffix(options: Pick<RunOptions, "evalLimit" | "tasks" | "split" | "lmmsEval">): string {
  const profile = (options.lmmsEval ?? DEFAULT_PROFILE) !== DEFAULT_PROFILE ? `-${options.lmmsEval}` : "";
  const split = options.split === "validation" ? "-validation" : "";
  const limit = options.evalLimit !== undefined ? `-limit${options.evalLimit}` : "";
  const tasks = options.tasks && options.tasks.join(",") !== TASK_NAMES.join(",") ? `-${hashString(options.tasks.join(",")).toString(16)}` : "";
  return `${split}${limit}${tasks}${profile}`;
}

/** The key a finished result of these options must carry (the protocol, dataset and zoo as they are now). */
export const expectedResultKey = (options: RunOptions): string => prepare(options).key;

/**
 * The finished result in a run folder if it is current: its key is the one its own pairing, preset
 * and evaluation would get now, with the dataset and zoo its run.json names. A result trained under an
 * older protocol, dataset or zoo entry is stale (the study runner trains it again).
 */
export function currentResult(dir: string, suffix = ""): RunResult | undefined {
  const result = finishedResult(dir, suffix);
  if (!result || !existsSync(join(dir, "run.json"))) return undefined;
  const run = readJsonFile(join(dir, "run.json")) as { dataset?: string; zoo?: string };
  if (run.dataset === undefined || !existsSync(join(run.dataset, "manifest.json"))) return undefined;
  const options: RunOptions = { ...resultOptions(result), datasetDir: run.dataset, ...(run.zoo !== undefined ? { zooDir: run.zoo } : {}) };
  return expectedResultKey(options) === result.key ? result : undefined;
}

/** The options that produced a result, without its dataset and zoo folders: pairing, preset and evaluation setting. */
export const resultOptions = (result: RunResult): RunOptions => ({
  preset: result.preset,
  spec: result.spec,
  ...(result.eval.limit !== undefined ? { evalLimit: result.eval.limit } : {}),
  ...(result.eval.split ? { split: result.eval.split } : {}),
  ...(result.eval.tasks && Object.keys(result.eval.tasks).join(",") !== TASK_NAMES.join(",") ? { tasks: Object.keys(result.eval.tasks) } : {}),
  // A result without the field was scored before profiles existed: vendored.
  ...(result.eval.lmmsEval !== undefined && result.eval.lmmsEval !== DEFAULT_PROFILE ? { lmmsEval: result.eval.lmmsEval } : {}),
  kernels: resultKernels(result),
});

/** A study worker's output, in its run folder (see `runStudy`). */
export const WORKER_LOG = "worker.log";

/** The finished result of a run in `dir` for an evaluation setting, if there is one with this key. */
export function finishedResult(dir: string, suffix = "", key?: string): RunResult | undefined {
  const file = join(dir, `result${suffix}.json`);
  if (!existsSync(file)) return undefined;
  const result = readJsonFile(file) as RunResult;
  return key === undefined || result.key === key ? result : undefined;
}

function validateSpec(spec: PairingSpec): void {
  zooLlm(spec.llm);
  if (!isVisionFamily(spec.tower)) throw new Error(`unknown tower "${spec.tower}"; expected one of ${VISION_FAMILIES.join(", ")}`);
  if (!(CAPTION_STYLES as readonly string[]).includes(spec.captions)) throw new Error(`unknown stage-1 caption set "${spec.captions}"; expected one of ${CAPTION_STYLES.join(", ")}`);
  checkSeed(spec.seed, `${runId(spec)}: seed`);
}

interface PreparedRun {
  protocol: Protocol;
  dataset: Dataset;
  zoo: string;
  dir: string;
  trainKey: string;
  key: string;
  suffix: string;
}

/**
 * The dataset parts a run reads (its images through the feature cache, the scenes, both stages' data and
 * the benchmark files): its keys cover their contents as they are on disk (`Dataset.contentKey`), so
 * a run on data edited since is trained anew, never reused.
 */
const RUN_PARTS = ["images", "scenes", "stage1", "stage2", "benchmarks"] as const satisfies readonly DatasetPart[];

function prepare(given: RunOptions): PreparedRun {
  const options = { ...given, kernels: given.kernels ?? kernelBuild().class };
  validateSpec(options.spec);
  const protocol = options.protocol ?? PROTOCOLS[options.preset];
  const dataset = new Dataset(options.datasetDir ?? defaultDatasetDir(options.preset, 0));
  const { trainScenes, testScenes } = dataset.manifest.config;
  checkResolution(visionConfig(options.spec.tower, options.preset), options.spec.resolution, Math.max(trainScenes, testScenes), totalmem(), options.spec.tower);
  const zoo = options.zooDir ?? defaultZooDir(options.preset, 0);
  const zooKeys = { llm: zooEntryKey(zoo, options.spec.llm), tower: zooEntryKey(zoo, options.spec.tower) };
  const datasetKey = dataset.contentKey(RUN_PARTS);
  return { protocol, dataset, zoo, dir: runDir(options), trainKey: trainKey(options, protocol, datasetKey, zooKeys), key: resultKey(options, protocol, datasetKey, zooKeys), suffix: evalSuffix(options) };
}

/** A trained pairing: the LLaVA model and what evaluating it needs. Dispose `model` when done. */
export interface TrainedPairing {
  model: LlavaModel;
  tokenizer: FamilyTokenizer;
  template: ChatTemplate;
  system?: string;
  stage1: StageSummary;
  stage2: StageSummary;
  /** The tower features of the training scenes and the validation scenes after them (one cache). */
  features: FeatureStore;
}

const addSeconds = (dir: string, seconds: number): void => {
  const file = join(dir, "seconds.json");
  const before = existsSync(file) ? (readJsonFile(file) as { seconds: number }).seconds : 0;
  writeJson(file, { seconds: before + seconds });
};

/**
 * Stage 1 and stage 2 of a pairing, each skipped when its output is in the run folder and resumed
 * from its checkpoint when it was interrupted.
 */
export const trainPairing = (options: RunOptions): Promise<TrainedPairing> => withLock(runLock(options), runId(options.spec), () => train(options));

/** Evaluates a trained pairing (trained now, or read from its run folder) and writes result.json. */
export const evaluatePairing = (options: RunOptions, trained?: TrainedPairing): Promise<RunResult> => withLock(runLock(options), runId(options.spec), () => evaluate(options, trained));

/** Held while a process trains or evaluates a run: beside its folder, which a retrain deletes. */
const runLock = (options: RunOptions): string => {
  const dir = runDir(options);
  mkdirSync(dirname(dir), { recursive: true });
  return `${dir}.lock`;
};

/**
 * A zoo tower as the feature cache takes it: its entry and config read now (a clear error when it is
 * not built), the tower itself loaded only if the cache must compute features.
 */
export function zooFeatureTower(zoo: string, family: VisionFamily, dataset: Dataset): FeatureTower {
  const { entry, config } = zooTowerEntry(zoo, family);
  return { family, entry, config, dataKey: dataset.contentKey(["images", "scenes"], zooDataKey(dataset.manifest)), load: () => loadZooTower(zoo, family).tower };
}

/** Refuses a run whose kernel build is not this process's: it would get another run's bits under its key. */
function checkKernels(options: RunOptions): KernelBuild {
  const build = kernelBuild();
  const want = options.kernels ?? build.class;
  if (want !== build.class) {
    const how = want === PORTABLE_CLASS ? `set ${PORTABLE_BITS_ENV}=1` : `unset ${PORTABLE_BITS_ENV}, on a CPU whose native build is ${want}`;
    throw new Error(`${runId(options.spec)}: the run needs the ${want} kernel build, and this process runs ${build.class} (${describeKernelBuild(build)}); ${how}`);
  }
  return build;
}

async function train(options: RunOptions): Promise<TrainedPairing> {
  const kernels = checkKernels(options);
  const { protocol, dataset, zoo, dir, trainKey: key } = prepare(options);
  const log = options.log ?? (() => {});
  const started = Date.now();
  if (existsSync(join(dir, "run.json")) && (readJsonFile(join(dir, "run.json")) as { key?: string }).key !== key) {
    log(`${runId(options.spec)}: the folder holds a run with other settings; starting again`);
    // Everything but the log a study worker writes into, which its parent opened before this check.
    for (const entry of readdirSync(dir)) if (entry !== WORKER_LOG) rmSync(join(dir, entry), { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  writeJson(join(dir, "run.json"), { id: runId(options.spec), key, preset: options.preset, spec: options.spec, protocol, dataset: dataset.dir, zoo, kernels });

  const { spec } = options;
  // One cache holds the training scenes and the validation scenes after them; training sees only the first.
  const features = await FeatureStore.load(dataset, zooFeatureTower(zoo, spec.tower, dataset), spec.resolution, "train", { limit: protocol.trainScenes + protocol.validationScenes, progress: options.progress !== false });
  const train = features.first(protocol.trainScenes);
  const { model: llm, tokenizer } = loadZooLlm(zoo, spec.llm);
  const model = new LlavaModel(llm, protocol.projector, train.dim, spec.seed, protocol.projectorInit);
  const template = chatTemplate(llm.config.template);
  const system = protocol.systemPrompt ? undefined : "";
  try {
    const encodeSet = (samples: readonly LlavaJsonSample[], limit: number, stage: string, stageTemplate: ChatTemplate): EncodedSet =>
      encodeSamples(samples, { tokenizer, template: stageTemplate, features: train, maxPositions: llm.config.maxPositions, limit, seed: spec.seed, stage, system });
    const encode = (stage: 1 | 2): EncodedSet => {
      if (stage === 1) return encodeSet(dataset.stage1(spec.captions).samples, protocol.stage1.samples, "stage1", stage1Template);
      const mixture = encodeSet(dataset.stage2().samples, mixtureSamples(protocol.stage2), "stage2", template);
      const first = protocol.stage2.questionsFirst;
      if (!first) return mixture;
      const scenes = dataset.scenes("train").filter((scene) => train.has(scene.id));
      // Twice as many drawn as kept, as the mixture's file holds more than a stage reads: those that fit the context, in the run's order.
      const questions = Array.from({ length: 2 * first.samples }, (_, i) => questionSample(scenes, first.families, dataset.manifest.seed, i, (scene) => imageFile(scene.id)));
      return concatSets(encodeSet(questions, first.samples, "stage2-questions", template), mixture);
    };

    // Every input of the stages still to train is read and encoded before the first step, so bad
    // stage-2 data stops the run before stage 1 spends its time.
    const projectorFile = join(dir, "stage1", "projector.safetensors");
    const modelDir = join(dir, "model");
    const stage1Set = existsSync(projectorFile) ? undefined : encode(1);
    const stage2Set = existsSync(join(modelDir, "summary.json")) ? undefined : encode(2);

    // Stage 1: projector only.
    let stage1: StageSummary;
    if (stage1Set === undefined) {
      loadProjector(model, projectorFile);
      stage1 = readJsonFile(join(dir, "stage1", "summary.json")) as StageSummary;
    } else {
      model.setTrainableComponents({ projector: true, llm: false });
      stage1 = await runStage(1, model, stage1Set, train, protocol, dir, options);
      writeJson(join(dir, "stage1", "summary.json"), stage1);
      writeFileAtomic(projectorFile, encodeSafetensors(new Map(await Promise.all(model.projector.namedParameters().map(async ([n, v]) => [n, { shape: v.shape, data: (await v.data()) as Float32Array }] as const))), "F32"));
      rmSync(join(dir, "stage1", "resume"), { recursive: true, force: true });
    }
    log(`${runId(spec)}: stage 1 ${stage1.steps} steps, loss ${stage1.firstLoss.toFixed(3)} → ${stage1.finalLoss.toFixed(3)}`);

    // Stage 2: projector and LLM.
    let stage2: StageSummary;
    if (stage2Set === undefined) {
      loadCheckpoint(modelDir, model);
      stage2 = readJsonFile(join(modelDir, "summary.json")) as StageSummary;
    } else {
      model.setTrainableComponents({ projector: true, llm: true });
      const binding = runBindingSet(dataset, protocol, features);
      const answer: BindingAnswerOptions = { model, tokenizer, template, features, imageOf: (q) => features.indexOf(q.sceneId), batchSize: protocol.eval.batchSize, ...(system !== undefined ? { system } : {}) };
      const measure = binding && (async (step: number) => ({ step, accuracy: Object.fromEntries((await measureBinding(binding, answer)).map((f) => [f.family, f.accuracy])) }));
      stage2 = await runStage(2, model, stage2Set, train, protocol, dir, options, [{ stage: 1, steps: stage1.steps }], measure);
      // saveCheckpoint reads synchronously: read every parameter once asynchronously first, which
      // WebGPU needs (it then keeps a CPU copy) and costs the CPU backends one copy.
      await Promise.all(model.parameters().map((v) => v.data()));
      saveCheckpoint(modelDir, model, { llm: llm.config, projector: protocol.projector, visionDim: train.dim, spec }, { dtype: "F32" });
      writeJson(join(modelDir, "summary.json"), stage2);
      rmSync(join(dir, "stage2", "resume"), { recursive: true, force: true });
    }
    log(`${runId(spec)}: stage 2 ${stage2.steps} steps, loss ${stage2.firstLoss.toFixed(3)} → ${stage2.finalLoss.toFixed(3)}`);
    model.setTrainableComponents({ projector: false, llm: false });
    return { model, tokenizer, template, ...(system !== undefined ? { system } : {}), stage1, stage2, features };
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    addSeconds(dir, (Date.now() - started) / 1000);
  }
}

async function evaluate(options: RunOptions, trained?: TrainedPairing): Promise<RunResult> {
  const { protocol, dataset, zoo, dir, key, suffix, trainKey: expectedTrainKey } = prepare(options);
  const done = finishedResult(dir, suffix, key);
  if (done) return done;
  const kernels = checkKernels(options);
  if (!trained && !existsSync(join(dir, "model", "summary.json"))) throw new Error(`${dir}: the pairing is not trained yet; run: npx llava-more train ${pairingArgs(options).join(" ")}`);
  // Evaluating must never retrain: a folder trained under other settings (protocol, data, zoo) is kept.
  const trainedAs = trained || !existsSync(join(dir, "run.json")) ? undefined : (readJsonFile(join(dir, "run.json")) as { key?: string; dataset?: string; zoo?: string });
  if (trainedAs && trainedAs.key !== expectedTrainKey) {
    throw new Error(
      `${dir}: this pairing was trained with other settings than these options give (training key ${trainedAs.key}, these options ${expectedTrainKey}: the protocol, the dataset${trainedAs.dataset !== dataset.dir ? ` — trained on ${trainedAs.dataset}, these options ${dataset.dir}` : ""} or the zoo${trainedAs.zoo !== zoo ? ` — trained with ${trainedAs.zoo}, these options ${zoo}` : ""} differ). Evaluate it with the options it was trained with, or train it again: npx llava-more train ${pairingArgs(options).join(" ")}`,
    );
  }
  const started = Date.now();
  const pairing = trained ?? (await train(options));
  const { spec } = options;
  try {
    const validation = options.split === "validation" ? { from: protocol.trainScenes, count: protocol.validationScenes } : undefined;
    const reliance = await validationImageReliance(pairing, dataset, protocol);
    const binding = await validationBinding(pairing, dataset, protocol, dir);
    const test = validation ? pairing.features : await FeatureStore.load(dataset, zooFeatureTower(zoo, spec.tower, dataset), spec.resolution, "test", { progress: options.progress !== false });
    const underTest = cachedFeatureModel({ ...pairing, features: test, batchSize: protocol.eval.batchSize, maxNewTokens: protocol.eval.maxNewTokens });
    const lmmsEval = options.lmmsEval ?? DEFAULT_PROFILE;
    const evaluations = await evaluateAll(dataset, underTest, (options.tasks ?? TASK_NAMES).map((name) => taskUnderProfile(name, { lmmsEval })), {
      limit: options.evalLimit,
      progress: options.progress !== false,
      ...(validation ? { items: validationBenchmarks(dataset, validation) } : {}),
    });
    saveEvaluation(join(dir, `eval${suffix}`), evaluations, { model: runId(spec), preset: options.preset, split: options.split ?? "benchmark", limit: options.evalLimit ?? null, max_new_tokens: protocol.eval.maxNewTokens, lmms_eval: lmmsEval });
    addSeconds(dir, (Date.now() - started) / 1000);
    const llmEntry = zooLlm(spec.llm);
    const result: RunResult = {
      id: runId(spec),
      key,
      preset: options.preset,
      spec,
      protocolVersion: protocol.version,
      llm: { name: llmEntry.name, family: llmEntry.family, size: llmEntry.size, parameters: pairing.model.llm.parameterCount() },
      tower: { family: spec.tower, resolution: resolutionLabel(spec.resolution), side: test.meta.side, s2: test.meta.s2, tokens: test.tokens, dim: test.dim },
      stage1: pairing.stage1,
      stage2: pairing.stage2,
      imageReliance: reliance,
      ...(binding ? { binding } : {}),
      eval: {
        tasks: taskSummaries(evaluations),
        headline: Object.assign({}, ...evaluations.map((e) => e.headline)) as Record<string, number>,
        ...(options.evalLimit !== undefined ? { limit: options.evalLimit } : {}),
        ...(validation ? { split: "validation" as const } : {}),
        maxNewTokens: protocol.eval.maxNewTokens,
        lmmsEval,
        truncatedPrompts: underTest.truncatedPrompts,
        seconds: (Date.now() - started) / 1000,
      },
      backend: describeBackend(),
      kernels,
      zooWeights: { llm: fileHash(join(llmDir(zoo, spec.llm), "model.safetensors")), tower: fileHash(join(towerDir(zoo, spec.tower), "model.safetensors")) },
      ...(backendInfo().adapter ? { adapter: backendInfo().adapter } : {}),
      seconds: (readJsonFile(join(dir, "seconds.json")) as { seconds: number }).seconds,
      finished: new Date().toISOString(),
    };
    writeJson(join(dir, `result${suffix}.json`), result);
    return result;
  } finally {
    if (!trained) pairing.model.dispose();
  }
}

/** Conversations about validation scenes that a reliance measurement uses (the first ones in the mixture's order). */
const RELIANCE_SAMPLES = 128;

async function validationImageReliance(pairing: TrainedPairing, dataset: Dataset, protocol: Protocol): Promise<ImageReliance | undefined> {
  const { features } = pairing;
  const validationScene = new Set(features.sceneIds.slice(protocol.trainScenes));
  if (validationScene.size === 0) return undefined;
  const conversations = dataset.stage2().samples.filter((s) => s.image !== undefined && validationScene.has(s.image.replace(/\.png$/, ""))).slice(0, RELIANCE_SAMPLES);
  const set = encodeSamples(conversations, {
    tokenizer: pairing.tokenizer,
    template: pairing.template,
    features,
    maxPositions: pairing.model.llm.config.maxPositions,
    limit: RELIANCE_SAMPLES,
    seed: 0,
    stage: "validation",
    ...(pairing.system !== undefined ? { system: pairing.system } : {}),
  });
  return set.samples.filter((s) => s.image >= 0).length < 2 ? undefined : imageReliance(pairing.model, set.samples, features);
}

/** Binding questions per family a run is measured on, and the measurements spread over stage 2. */
const BINDING_PER_FAMILY = 96;
const BINDING_POINTS = 4;
export const RUN_BINDING_FAMILIES = ["colour", "count", "exists", "position", "label"] as const;
const BINDING_LOG = "binding.jsonl";

/**
 * The binding set of a run: questions about its multi-object validation scenes (those with cached
 * features), the text-only prior from its training scenes; the same for every seed of a pairing.
 */
function runBindingSet(dataset: Dataset, protocol: Protocol, features: FeatureStore): BindingSet | undefined {
  const scenes = dataset.scenes("train");
  const held = scenes.slice(protocol.trainScenes, protocol.trainScenes + protocol.validationScenes).filter((s) => features.has(s.id));
  if (held.length === 0) return undefined;
  return bindingSet(held, scenes.slice(0, protocol.trainScenes), { seed: 0, perFamily: BINDING_PER_FAMILY, families: RUN_BINDING_FAMILIES });
}

/** Binding of the trained pairing (src/probes/binding.ts) and its curve over stage 2 from the run's binding log. */
async function validationBinding(pairing: TrainedPairing, dataset: Dataset, protocol: Protocol, dir: string): Promise<RunResult["binding"]> {
  const set = runBindingSet(dataset, protocol, pairing.features);
  if (!set || set.questions.length === 0) return undefined;
  const { features } = pairing;
  const families = await measureBinding(set, { ...pairing, features, imageOf: (q) => features.indexOf(q.sceneId), batchSize: protocol.eval.batchSize });
  return { questions: set.questions.length, priorQuestions: set.priorQuestions, families: bindingScores(families), curve: readBindingLog(join(dir, BINDING_LOG)) };
}

const readBindingLog = (file: string): BindingPoint[] => (existsSync(file) ? readJsonl(file).map((row) => row.value as BindingPoint) : []);

/** Trains (or resumes) and evaluates one pairing; a finished run with the same key is returned as is. */
export const runPairing = (options: RunOptions): Promise<RunResult> => withLock(runLock(options), runId(options.spec), () => trainAndEvaluate(options));

async function trainAndEvaluate(options: RunOptions): Promise<RunResult> {
  const { dir, key, suffix } = prepare(options);
  const done = finishedResult(dir, suffix, key);
  if (done) return done;
  const trained = await train(options);
  try {
    return await evaluate(options, trained);
  } finally {
    trained.model.dispose();
  }
}

/** The command-line arguments that name a run's pairing (for messages and worker processes). */
export function pairingArgs(options: Pick<RunOptions, "preset" | "spec">): string[] {
  const { spec } = options;
  return ["--preset", options.preset, "--llm", spec.llm, "--tower", spec.tower, "--resolution", resolutionLabel(spec.resolution), "--captions", spec.captions, "--seed", String(spec.seed)];
}

function taskSummaries(evaluations: readonly TaskEvaluation[]): RunResult["eval"]["tasks"] {
  return Object.fromEntries(evaluations.map((e) => [e.task, { metrics: Object.fromEntries(e.metrics.map((m) => [m.metric, m.value])), n: e.n, seconds: e.seconds }]));
}

function loadProjector(model: LlavaModel, file: string): void {
  const { tensors } = readSafetensors(file);
  for (const [name, v] of model.projector.namedParameters()) {
    const t = tensors.get(name);
    if (!t || t.shape.join(",") !== v.shape.join(",")) throw new Error(`${file}: projector parameter "${name}" is missing or has another shape; delete the run folder to train it again`);
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
  }
}

interface LogLine {
  stage: number;
  step: number;
  loss: number;
  learning_rate: number;
  grad_norm?: number;
  tokens: number;
  seconds: number;
  tokens_per_second: number;
  backend: string;
}

/**
 * Runs (or resumes) a stage. `done`: the stages finished before it and their steps, whose log lines
 * must all be there, as must this stage's lines before its checkpoint.
 */
async function runStage(
  stage: 1 | 2,
  model: LlavaModel,
  set: EncodedSet,
  features: FeatureStore,
  protocol: Protocol,
  dir: string,
  options: RunOptions,
  done: readonly { stage: number; steps: number }[] = [],
  measureBinding?: (step: number) => Promise<BindingPoint>,
): Promise<StageSummary> {
  const recipe = stage === 1 ? protocol.stage1 : protocol.stage2;
  const checkpointDir = join(dir, `stage${stage}`);
  const logFile = join(dir, "log.jsonl");
  // Steps after the last checkpoint are run again on resume: drop their log lines first.
  const resumeFrom = checkpointStep(checkpointDir);
  keepLogLines(logFile, (l) => l.stage < stage || (l.stage === stage && l.step < resumeFrom));
  const missing = missingLogSteps(logFile, [...done, { stage, steps: resumeFrom }]);
  if (missing) options.log?.(`${logFile}: ${missing} missing (the file was cut or edited); the run goes on from its checkpoint, whose weights and losses are whole, but the log and the stage's time and rate leave out what is missing`);
  const positions = (s: { ids: number[] }): number => s.ids.length + (s.ids.some((id) => id < 0) ? features.tokens - 1 : 0);
  const backend = backendInfo().name;
  const onStep = (info: StepInfo): void => {
    const tokens = set.samples.slice(info.step * recipe.globalBatch, (info.step + 1) * recipe.globalBatch).reduce((n, s) => n + positions(s), 0);
    const line: LogLine = { stage, step: info.step, loss: info.loss, learning_rate: info.learningRate, ...(info.gradNorm !== undefined ? { grad_norm: info.gradNorm } : {}), tokens, seconds: info.seconds, tokens_per_second: tokens / info.seconds, backend };
    appendFileSync(logFile, `${JSON.stringify(line)}\n`);
    const stop = options.interruptAfter;
    if (stop && stop.stage === stage && stop.step === info.step) throw new Error(`interrupted after step ${info.step} of stage ${stage} (interruptAfter)`);
  };
  // Binding after each BINDING_POINTS-th of the stage (the last at its end), measured again on resume after the checkpoint.
  const steps = stageSteps(recipe, set.samples.length);
  const every = Math.max(1, Math.ceil(steps / BINDING_POINTS));
  const bindingFile = join(dir, BINDING_LOG);
  if (measureBinding && existsSync(bindingFile)) writeJsonl(bindingFile, readBindingLog(bindingFile).filter((p) => p.step <= resumeFrom));
  const afterStep = measureBinding && (async (step: number): Promise<void> => {
    if ((step + 1) % every !== 0 && step + 1 !== steps) return;
    const point = await measureBinding(step + 1);
    appendFileSync(bindingFile, `${JSON.stringify(point)}\n`);
    options.log?.(`${runId(options.spec)}: stage ${stage} step ${step + 1}, binding ${Object.entries(point.accuracy).map(([f, a]) => `${f} ${a.toFixed(2)}`).join(", ")}`);
  });
  const result = await trainStage({ label: `${runId(options.spec)} stage ${stage}`, model, set, features, recipe, checkpointDir, onStep, ...(afterStep ? { afterStep } : {}), progress: options.progress });
  const lines = readLog(logFile).filter((l) => l.stage === stage);
  const tokens = lines.reduce((n, l) => n + l.tokens, 0);
  const seconds = lines.reduce((n, l) => n + l.seconds, 0);
  const k = Math.min(5, Math.max(1, Math.floor(result.losses.length / 4)));
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    steps: result.steps,
    samples: result.steps * recipe.globalBatch,
    truncated: set.truncated,
    dropped: set.dropped,
    firstLoss: mean(result.losses.slice(0, k)),
    finalLoss: mean(result.losses.slice(-k)),
    seconds,
    tokensPerSecond: tokens / Math.max(seconds, 1e-9),
  };
}

/** The log's lines; a last line cut short (a kill mid-write) is dropped, any other bad line is an error. */
export function readLog(file: string): LogLine[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, "utf8").split("\n");
  const out: LogLine[] = [];
  lines.forEach((text, i) => {
    if (text.trim() === "") return;
    try {
      out.push(JSON.parse(text) as LogLine);
    } catch {
      const last = lines.slice(i + 1).every((l) => l.trim() === "");
      if (!last) throw new Error(`${file}:${i + 1}: not a JSON log line`);
    }
  });
  return out;
}

/**
 * The steps of `expected` (stage, steps 0 … steps − 1) the log has no line for, as text
 * ("stage 2 steps 3–5, stage 1 step 7"), or "" when every one is there.
 */
export function missingLogSteps(file: string, expected: readonly { stage: number; steps: number }[]): string {
  const lines = readLog(file);
  const parts: string[] = [];
  for (const { stage, steps } of expected) {
    const seen = new Set(lines.filter((l) => l.stage === stage).map((l) => l.step));
    const runs: [number, number][] = [];
    for (let step = 0; step < steps; step++) {
      if (seen.has(step)) continue;
      const last = runs.at(-1);
      if (last && last[1] === step - 1) last[1] = step;
      else runs.push([step, step]);
    }
    if (runs.length === 0) continue;
    const single = runs.length === 1 && runs[0]![0] === runs[0]![1];
    parts.push(`stage ${stage} step${single ? "" : "s"} ${runs.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(", ")}`);
  }
  return parts.join("; ");
}

function keepLogLines(file: string, keep: (l: LogLine) => boolean): void {
  if (!existsSync(file)) return;
  const lines = readLog(file).filter(keep);
  writeFileAtomic(file, lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
}

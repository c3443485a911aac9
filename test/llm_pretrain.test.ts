import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { initBackend } from "../src/backend/index.js";
import { Dataset } from "../src/data/dataset.js";
import {
  completionScorer,
  describedReading,
  fitsContext,
  forcedChoice,
  readingItems,
  heldOutChoiceItems,
  heldOutPerplexity,
  heldOutTexts,
  multipleChoiceAccuracy,
  knowledgeItems,
  knowledgeRecall,
  llmProbeRow,
  llmProbes,
  type CompletionScorer,
} from "../src/probes/llm_probes.js";
import { CausalLM, causalLmLoss, IGNORE_INDEX } from "../src/models/llm/decoder.js";
import { llmArchitecture, llmConfig } from "../src/models/llm/registry.js";
import { PRESETS } from "../src/presets.js";
import { chatTemplate } from "../src/models/templates/registry.js";
import { conversationOf, encodeConversations, packSequences, pretrainLlm, pretrainTokenizer, streamRows, type LlmPretrainResult } from "../src/train/llm_pretrain.js";
import { LLM_RECIPES, llmRecipe, ZOO_LLMS } from "../src/train/llm_recipes.js";
import { lossDrop, moduleState, trainLoop } from "../src/train/loop.js";
import { Random } from "../src/util/random.js";
import { OPTION_LETTERS, OPTION_LETTER_PROMPT } from "../src/data/questions.js";
import { tempDir, tinyDataset } from "./helpers.js";

let dataset: Dataset;
before(async () => {
  await initBackend();
  dataset = new Dataset(await tinyDataset());
});

const STEPS = { text: 25, instruct: 20, reasoning: 20 };

function assertLearned(r: LlmPretrainResult, phases: string[]): void {
  assert.deepEqual(
    r.phases.map((p) => p.phase),
    phases,
  );
  for (const p of r.phases) {
    const drop = lossDrop(p.losses);
    assert.equal(p.losses.length, p.steps);
    assert.ok(drop.last < drop.first - 0.3, `${r.config.family} ${p.phase}: loss ${drop.first.toFixed(3)} -> ${drop.last.toFixed(3)}`);
    assert.ok(p.tokens > 0 && p.supervisedTokens > 0 && p.supervisedTokens <= p.tokens);
  }
  assert.equal(r.tokens, r.phases.reduce((n, p) => n + p.tokens, 0));
}

test("recipes exist for every zoo LLM at every preset and fit the model's context", () => {
  assert.deepEqual(
    ZOO_LLMS.map((z) => z.name),
    ["vicuna-7b", "llama3-8b", "llama3.1-8b", "gemma2-2b", "gemma2-9b", "phi4-mini-3.8b", "r1-distill-llama-8b"],
  );
  for (const preset of PRESETS) {
    for (const z of ZOO_LLMS) {
      const recipe = llmRecipe(z.family, z.size, preset);
      assert.equal(recipe, LLM_RECIPES[preset][z.name]);
      const config = llmConfig(z.family, preset, z.size);
      assert.equal(recipe.reasoning !== undefined, llmArchitecture(z.family).reasoningTraces, `${z.name} ${preset}`);
      for (const phase of [recipe.text, recipe.instruct, ...(recipe.reasoning ? [recipe.reasoning] : [])]) {
        assert.ok(phase.steps > 0 && phase.batchSize > 0 && phase.learningRate > 0);
        assert.ok(phase.seqLen <= config.maxPositions, `${z.name} ${preset}: rows of ${phase.seqLen} > ${config.maxPositions} positions`);
      }
    }
  }
  // Equal tokens per rung: the small recipes of the zoo's rungs see the same number of text tokens.
  const tokens = ZOO_LLMS.map((z) => {
    const t = llmRecipe(z.family, z.size, "small").text;
    return t.steps * t.batchSize * t.seqLen;
  });
  assert.equal(new Set(tokens).size, 1);
  assert.equal(llmRecipe("gemma2", "3.8b", "small"), LLM_RECIPES.small["gemma2-2b"], "an off-zoo rung takes its family's recipe");
});

test("instruct data puts loss on assistant replies only, and packing keeps that", () => {
  const config = llmConfig("llama3.1", "tiny");
  const recipe = llmRecipe("llama3.1", "8b", "tiny");
  const docs = dataset.text("pretrain");
  const tokenizer = pretrainTokenizer(config, docs, recipe);
  const template = chatTemplate(config.template);
  const dialogues = docs.filter((d) => d.kind === "dialogue");
  const conversation = conversationOf(dialogues[0]!, "");
  const { pool } = encodeConversations(tokenizer, template, [conversation], 1000);
  const { ids, labels } = pool[0]!;
  const supervisedIds = ids.filter((_, i) => labels[i] !== IGNORE_INDEX);
  assert.equal(tokenizer.decode(supervisedIds), conversation.turns.map((t) => `${t.assistant}<|eot_id|>`).join(""));
  labels.forEach((l, i) => assert.ok(l === IGNORE_INDEX || l === ids[i]));

  const encoded = encodeConversations(
    tokenizer,
    template,
    dialogues.map((d) => conversationOf(d, "")),
    64,
  );
  assert.ok(encoded.pool.length > 0 && encoded.pool.every((s) => s.ids.length <= 64));
  const rows = packSequences(encoded.pool, Random.stream(1, "pack"), 4, 64, tokenizer.id("<|end_of_text|>"));
  assert.deepEqual(rows, packSequences(encoded.pool, Random.stream(1, "pack"), 4, 64, tokenizer.id("<|end_of_text|>")), "a batch is a function of its stream");
  assert.equal(rows.ids.length, 4);
  for (let r = 0; r < 4; r++) {
    assert.equal(rows.ids[r]!.length, 64);
    rows.labels[r]!.forEach((l, i) => assert.ok(l === IGNORE_INDEX || l === rows.ids[r]![i]));
    const text = tokenizer.decode(rows.ids[r]!.filter((_, i) => rows.labels[r]![i] !== IGNORE_INDEX));
    assert.ok(!/<\|start_header_id\|>|user|\?/.test(text), `supervised text holds prompt tokens: ${text}`);
  }
  const stream = [...Array(100).keys()];
  assert.deepEqual(streamRows(stream, 3, 2, 30).ids, [stream.slice(0, 30), stream.slice(30, 60)], "windows wrap round the stream");
});

let llama: LlmPretrainResult | undefined;

test("llama3.1 learns in both phases; a run resumes in the phase it was in", async () => {
  const dir = tempDir();
  llama = await pretrainLlm({ family: "llama3.1", preset: "tiny", seed: 0, dataset, progress: false, steps: STEPS, checkpointDir: dir });
  assertLearned(llama, ["text", "instruct"]);
  // As if the run had died during the instruct phase: the text phase is restored, instruct redone.
  rmSync(join(dir, "instruct"), { recursive: true });
  const again = await pretrainLlm({ family: "llama3.1", preset: "tiny", seed: 0, dataset, progress: false, steps: STEPS, checkpointDir: dir });
  assert.deepEqual(
    again.phases.map((p) => p.resumedFrom),
    [STEPS.text, 0],
  );
  assert.deepEqual(again.phases[0]!.losses, llama.phases[0]!.losses);
  again.phases[1]!.losses.forEach((l, i) => assert.ok(Math.abs(l - llama!.phases[1]!.losses[i]!) < 1e-4, `instruct step ${i}: ${l} vs ${llama!.phases[1]!.losses[i]}`));
  again.model.dispose();
});

test("gemma2 learns in both phases; r1-distill adds its reasoning phase", async () => {
  const gemma = await pretrainLlm({ family: "gemma2", size: "2b", preset: "tiny", seed: 0, dataset, progress: false, steps: STEPS });
  assertLearned(gemma, ["text", "instruct"]);
  gemma.model.dispose();
  const r1 = await pretrainLlm({ family: "r1-distill-llama", preset: "tiny", seed: 0, dataset, progress: false, steps: STEPS });
  assertLearned(r1, ["text", "instruct", "reasoning"]);
  assert.match(r1.phases[2]!.data, /reasoning traces in the llama_3_1_reasoning template/);
  r1.model.dispose();
});

test("held-out perplexity: a trained model beats an untrained one; bits per byte follow", () => {
  assert.ok(llama, "needs the trained llama of the test above");
  const docs = heldOutTexts(dataset.scenes("test"), 60);
  assert.equal(docs.length, 60);
  assert.ok(docs.every((d) => d.text !== undefined));
  assert.deepEqual(heldOutTexts(dataset.scenes("test"), 60), docs, "the held-out set is fixed");
  const fresh = new CausalLM(llama.config, 123);
  const trained = heldOutPerplexity(llama, docs);
  const untrained = heldOutPerplexity({ model: fresh, tokenizer: llama.tokenizer }, docs);
  fresh.dispose();
  assert.equal(trained.tokens, untrained.tokens);
  assert.ok(trained.perplexity < untrained.perplexity / 2, `perplexity ${trained.perplexity} vs untrained ${untrained.perplexity}`);
  assert.ok(trained.bitsPerByte < untrained.bitsPerByte);
  assert.ok(Math.abs(Math.log(trained.perplexity) * trained.tokens - trained.bitsPerByte * Math.LN2 * trained.bytes) < 1e-3 * trained.tokens, "both from the same likelihood");
  // Windows: a context shorter than the documents scores every token exactly once.
  const windowed = heldOutPerplexity(llama, docs, { window: 8 });
  assert.equal(windowed.tokens, trained.tokens);
  const row = llmProbeRow(llmProbes(llama, dataset, { heldOutDocuments: 20 }));
  for (const key of ["held_out_ppl", "held_out_bits_per_byte", "knowledge_acc", "knowledge_chance", "knowledge_verbatim_acc", "knowledge_material_acc"]) assert.equal(typeof row[key], "number", key);
});

test("lettered multiple choice: held-out items, answered by the reply letter the model finds most likely", () => {
  assert.ok(llama, "needs the trained llama of the test above");
  const items = heldOutChoiceItems(dataset.scenes("test"), 40);
  assert.equal(items.length, 40);
  assert.ok(items.every((i) => i.options >= 2 && i.options <= 5 && i.answer >= 0 && i.answer < i.options));
  for (const item of items) {
    const lines = item.question.split("\n");
    assert.equal(lines.at(-1), OPTION_LETTER_PROMPT);
    assert.deepEqual(lines.filter((l) => /^[A-E]\. /.test(l)).map((l) => l[0]), OPTION_LETTERS.slice(0, item.options));
  }
  // Spread over the letters, so that always answering one letter is no better than chance.
  for (const letter of [0, 1]) assert.ok(items.filter((i) => i.answer === letter).length >= 8, `letter ${letter}`);
  const chance = items.reduce((a, i) => a + 1 / i.options, 0) / items.length;
  // A stand-in decoder that always predicts one letter's token answers that letter to every item.
  for (const letter of ["A", "B"] as const) {
    const ids = llama.tokenizer.encode(letter);
    assert.equal(ids.length, 1, `"${letter}" is one token`);
    const config = { ...llama.model.config, maxPositions: 1024 };
    const forward = (x: tf.Tensor2D): tf.Tensor3D => tf.tidy(() => tf.mul(tf.oneHot(tf.fill(x.shape, ids[0]!, "int32") as tf.Tensor2D, config.vocabSize), 20) as tf.Tensor3D);
    const fake = { config, forward } as unknown as CausalLM;
    const r = multipleChoiceAccuracy({ model: fake, tokenizer: llama.tokenizer }, items);
    assert.equal(r.items, 40);
    assert.equal(r.letterShare[letter], 1);
    assert.equal(r.accuracy, items.filter((i) => i.answer === OPTION_LETTERS.indexOf(letter)).length / items.length);
    assert.ok(Math.abs(r.chance - chance) < 1e-12);
  }
  // The tiny LLM's 64 positions hold no lettered item: none is scored, and the probe row leaves the columns out.
  assert.equal(multipleChoiceAccuracy(llama, items, "").items, 0);
  assert.equal(llmProbeRow(llmProbes(llama, dataset, { heldOutDocuments: 5, choiceItems: 5 }))["choice_acc"], undefined);
});

test("reading: binding questions about described scenes, scored by forced choice against each family's shortcut", () => {
  const scenes = dataset.scenes("test");
  const items = readingItems(scenes, 10);
  const families = [...new Set(items.map((i) => i.question.family))].sort();
  assert.deepEqual(families, ["colour", "count", "exists", "position"]);
  for (const item of items) {
    assert.ok(item.question.multiObject);
    assert.ok(item.prompt.endsWith(`\nQuestion: ${item.question.question}\nAnswer:`), item.prompt);
    assert.ok(item.prompt.startsWith("The image shows"), "the scene's dense description comes first");
    assert.ok(item.candidates.includes(item.question.answer), `${item.question.answer} among ${item.candidates.join(",")}`);
  }
  // A scorer that knows the answer reads perfectly; one that always prefers "yes" scores always-yes on existence.
  const answerOf = new Map(items.map((i) => [i.prompt, ` ${i.question.answer}`]));
  const knowing: CompletionScorer = (requests) => requests.map((r) => r.completions.map((c) => (c === answerOf.get(r.prompt) ? 0 : -1)));
  for (const f of describedReading(knowing, items)) assert.equal(f.accuracy, 1, f.family);
  const yes: CompletionScorer = (requests) => requests.map((r) => r.completions.map((c) => (c === " yes" ? 0 : -1)));
  const exists = describedReading(yes, items).find((f) => f.family === "exists")!;
  assert.equal(exists.accuracy, exists.strategies["always yes"]);
  // The tiny LLM's 64 positions hold only the shortest descriptions: the probe scores those alone.
  const reading = llmProbes(llama!, dataset, { heldOutDocuments: 5, choiceItems: 5 }).reading!;
  const fits = readingItems(scenes).filter((i) => fitsContext(llama!, i));
  assert.ok(fits.length < readingItems(scenes).length);
  for (const f of reading) assert.equal(f.n, fits.filter((i) => i.question.family === f.family).length, f.family);
});

test("knowledge items: closed answer sets, paraphrased prompts absent from the training text", () => {
  const items = knowledgeItems();
  const kinds = new Set(items.map((i) => i.kind));
  for (const k of ["material", "origin", "grams", "name", "zh"]) assert.ok(kinds.has(k), k);
  const training = [...dataset.text("pretrain"), ...dataset.text("reasoning")].flatMap((d) => (d.text !== undefined ? [d.text] : d.turns!.map((t) => t.content))).join("\n");
  for (const item of items) {
    assert.ok(item.candidates.length >= 2 && item.answer >= 0 && item.answer < item.candidates.length);
    assert.equal(new Set(item.candidates).size, item.candidates.length, item.key);
    assert.ok(!training.includes(`${item.prompt}${item.candidates[item.answer]}`), `${item.key}: the paraphrase is in the corpus`);
  }
  const star = items.find((i) => i.key === "star.material")!;
  assert.equal(star.prompt, "The star is made of");
  assert.equal(star.candidates[star.answer], " metal.");
});

test("forced choice picks the candidate with the highest total log-likelihood", async () => {
  assert.equal(forcedChoice([-3, -1, -2]), 1);
  assert.equal(forcedChoice([-1, -1]), 0, "ties go to the first");
  const items = knowledgeItems();
  // A stand-in scorer that knows every answer, and one that always prefers the first candidate.
  const oracle: CompletionScorer = (requests) =>
    requests.map(({ prompt, completions }) => {
      const item = items.find((i) => i.prompt === prompt || i.verbatimPrompt === prompt)!;
      const right = (prompt === item.prompt ? item.candidates : item.verbatimCandidates)[item.answer];
      return completions.map((c) => (c === right ? -1 : -5));
    });
  const perfect = knowledgeRecall(oracle, items);
  assert.equal(perfect.accuracy, 1);
  assert.equal(perfect.verbatim.accuracy, 1);
  const first = knowledgeRecall((requests) => requests.map((r) => r.completions.map((_, i) => -i)), items);
  assert.equal(first.accuracy, items.filter((i) => i.answer === 0).length / items.length);
  assert.ok(Math.abs(first.chance - items.reduce((a, i) => a + 1 / i.candidates.length, 0) / items.length) < 1e-12);

  // A tiny model trained briefly to repeat one fact prefers that fact's completion.
  assert.ok(llama, "needs the trained llama's tokenizer");
  const model = new CausalLM(llama.config, 5);
  const { tokenizer } = llama;
  const ids = [tokenizer.id("<|begin_of_text|>"), ...tokenizer.encode("Stars are made of metal.")];
  const batch = tf.tensor2d([ids, ids], [2, ids.length], "int32");
  const state = moduleState({ model });
  await trainLoop({ label: "one fact", steps: 30, schedule: { learningRate: 1e-2, warmupFraction: 0 }, state, trainable: [...state.values()], progress: false, loss: () => tf.tidy(() => causalLmLoss(model.forward(batch), batch)) });
  const [scores] = completionScorer({ model, tokenizer })([{ prompt: "Stars are made of", completions: [" wood.", " glass.", " metal.", " stone."] }]);
  const scorer = completionScorer({ model, tokenizer });
  const requests = [
    { prompt: "Stars are made of", completions: [" wood.", " metal."] },
    { prompt: "The Chinese word for star is", completions: [" 星星.", " 圆环.", " x"] },
  ];
  const together = scorer(requests);
  const alone = requests.map((r) => scorer([r])[0]!);
  together.flat().forEach((s, i) => assert.ok(Math.abs(s - alone.flat()[i]!) < 1e-4, "padding and batching leave the scores unchanged"));
  assert.equal(forcedChoice(scores!), 2, `scores ${scores!.map((s) => s.toFixed(2)).join(", ")}`);
  batch.dispose();
  model.dispose();
  llama.model.dispose();
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { IGNORE_INDEX } from "../src/models/llm/decoder.js";
import { IMAGE_TOKEN_INDEX } from "../src/models/llava/llava.js";
import { trainByteLevelBpe } from "../src/models/tokenizer/bpe.js";
import { FamilyTokenizer } from "../src/models/tokenizer/tokenizer.js";
import { encodeConversation, stopTokenIds } from "../src/models/templates/encode.js";
import { CHAT_TEMPLATES, chatTemplate } from "../src/models/templates/registry.js";
import type { Conversation } from "../src/models/templates/template.js";
import { tempDir } from "./helpers.js";

const CORPUS = Array.from({ length: 60 }, (_, i) => `What colour is the circle? The circle is red. There are ${i % 7} squares and one blue triangle.`);
const allSpecials = [...new Set(Object.values(CHAT_TEMPLATES).flatMap((t) => [...t.specialTokens]))];
const tokenizer = new FamilyTokenizer(trainByteLevelBpe(CORPUS, { vocabSize: 400, specialTokens: allSpecials }));

const conversation: Conversation = {
  turns: [
    { user: "<image>\nWhat colour is the circle?", assistant: "Red." },
    { user: "How many squares?", assistant: "Three." },
  ],
};

/** Renders, encodes, and returns the text of the loss-carrying tokens and of the rest. */
function split(name: string) {
  const template = chatTemplate(name);
  const { ids, labels } = encodeConversation(tokenizer, template, conversation);
  assert.equal(ids.length, labels.length);
  const loss = ids.filter((_, i) => labels[i] !== IGNORE_INDEX);
  labels.forEach((l, i) => assert.ok(l === IGNORE_INDEX || l === ids[i], "a label is its own token or ignored"));
  return {
    text: template.render(conversation).map((s) => s.text).join(""),
    loss: tokenizer.decode(loss),
    imageAt: ids.indexOf(IMAGE_TOKEN_INDEX),
    ids,
    prefix: tokenizer.decode(ids.slice(0, Math.max(0, ids.indexOf(IMAGE_TOKEN_INDEX)))),
  };
}

test("plain: <image> + caption + newline, loss on the caption and the newline", () => {
  const r = split("plain");
  assert.equal(r.text, "<image>Red.\n<image>Three.\n");
  assert.equal(r.loss, "Red.\nThree.\n");
  assert.equal(r.imageAt, 0);
});

test("vicuna_v1: system, USER/ASSISTANT turns, loss on each reply and its </s>", () => {
  const r = split("vicuna_v1");
  assert.equal(
    r.text,
    "<s>A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions. " +
      "USER: <image>\nWhat colour is the circle? ASSISTANT: Red.</s>USER: How many squares? ASSISTANT: Three.</s>",
  );
  assert.equal(r.loss, "Red.</s>Three.</s>");
  assert.ok(r.prefix.endsWith("USER: "));
});

test("llama_3 and llama_3_1: header blocks, loss on each reply and its <|eot_id|>", () => {
  const l3 = split("llama_3");
  assert.equal(
    l3.text,
    "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful language and vision assistant. You are able to understand the visual content that the user provides, and assist the user with a variety of tasks using natural language.<|eot_id|>" +
      "<|start_header_id|>user<|end_header_id|>\n\n<image>\nWhat colour is the circle?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nRed.<|eot_id|>" +
      "<|start_header_id|>user<|end_header_id|>\n\nHow many squares?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nThree.<|eot_id|>",
  );
  assert.equal(l3.loss, "Red.<|eot_id|>Three.<|eot_id|>");
  const l31 = split("llama_3_1");
  assert.match(l31.text, /^<\|begin_of_text\|><\|start_header_id\|>system<\|end_header_id\|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou are a helpful language and vision assistant/);
  assert.equal(l31.loss, "Red.<|eot_id|>Three.<|eot_id|>");
  assert.deepEqual(chatTemplate("llama_3_1").stopTokens, ["<|eot_id|>", "<|eom_id|>", "<|end_of_text|>"]);
  assert.deepEqual(chatTemplate("llama_3").stopTokens, ["<|eot_id|>"]);
});

test("llama_3_1_reasoning: DeepSeek's User/Assistant markers, loss on each reply and end-of-sentence", () => {
  const r = split("llama_3_1_reasoning");
  assert.match(r.text, /^<｜begin▁of▁sentence｜>You are a helpful language and vision assistant\..*<｜User｜><image>\nWhat colour is the circle\?<｜Assistant｜>Red\.<｜end▁of▁sentence｜><｜User｜>How many squares\?<｜Assistant｜>Three\.<｜end▁of▁sentence｜>$/s);
  assert.equal(r.loss, "Red.<｜end▁of▁sentence｜>Three.<｜end▁of▁sentence｜>");
});

test("gemma_2: no system turn, model role, loss on each reply and <end_of_turn> but not the newline", () => {
  const r = split("gemma_2");
  assert.equal(
    r.text,
    "<bos><start_of_turn>user\n<image>\nWhat colour is the circle?<end_of_turn>\n<start_of_turn>model\nRed.<end_of_turn>\n<start_of_turn>user\nHow many squares?<end_of_turn>\n<start_of_turn>model\nThree.<end_of_turn>\n",
  );
  assert.equal(r.loss, "Red.<end_of_turn>Three.<end_of_turn>");
  assert.equal(chatTemplate("gemma_2").render({ ...conversation, system: "ignored" })[0]!.text.includes("ignored"), false);
});

test("phi_4: plain concatenation with <|end|>, loss on each reply and its <|end|>", () => {
  const r = split("phi_4");
  assert.equal(
    r.text,
    "<|system|>You are a helpful AI assistant.<|end|><|user|><image>\nWhat colour is the circle?<|end|><|assistant|>Red.<|end|><|user|>How many squares?<|end|><|assistant|>Three.<|end|>",
  );
  assert.equal(r.loss, "Red.<|end|>Three.<|end|>");
});

test("every template puts the image at the start of the first user turn and prompts for the next reply", () => {
  for (const name of Object.keys(CHAT_TEMPLATES)) {
    const r = split(name);
    assert.equal(r.ids.filter((id) => id === IMAGE_TOKEN_INDEX).length, name === "plain" ? 2 : 1, name);
    const t = chatTemplate(name);
    if (name !== "plain") {
      const p = t.prompt({ turns: [] }, "<image>\nDescribe.");
      assert.ok(p.endsWith(t.render({ turns: [{ user: "<image>\nDescribe.", assistant: "" }] })[0]!.text.split("Describe.").at(-1)!), name);
      assert.ok(stopTokenIds(tokenizer, t).length > 0, name);
    }
  }
  assert.throws(() => chatTemplate("chatml"), /unknown chat template "chatml"/);
});

test("byte-level BPE: deterministic, exact vocabulary size, lossless, special tokens atomic", () => {
  const a = trainByteLevelBpe(CORPUS, { vocabSize: 300, specialTokens: ["<|eot_id|>"] });
  const b = trainByteLevelBpe(CORPUS, { vocabSize: 300, specialTokens: ["<|eot_id|>"] });
  assert.deepEqual(a, b);
  const tok = new FamilyTokenizer(a);
  assert.equal(tok.vocabSize, 300);
  assert.equal(tok.id("<|eot_id|>"), 299);
  const text = "The circle is red.<|eot_id|> héllo, wörld 42\n\n  ok 🙂";
  const ids = tok.encode(text);
  assert.equal(tok.decode(ids), text);
  assert.ok(ids.includes(299));
  assert.ok(tok.encode(" circle").length === 1, "a frequent word becomes one token");
  assert.throws(() => trainByteLevelBpe(CORPUS, { vocabSize: 200, specialTokens: [] }), /vocabSize 200 is below the 256 bytes/);
  const dir = tempDir();
  tok.save(dir);
  assert.deepEqual(FamilyTokenizer.load(dir).encode(text), ids);
});

// Each family's tokenizer (vocabulary size, its template's special tokens, document marks): test/families/<family>.test.ts.

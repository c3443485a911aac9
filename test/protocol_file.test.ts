import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROTOCOLS } from "../src/train/protocol.js";
import { editProtocol, protocolKey, readProtocolFile } from "../src/train/protocol_file.js";
import { tempDir } from "./helpers.js";

const base = PROTOCOLS.small;

test("a protocol file changes the fields it names and keeps the preset's others", () => {
  const edited = editProtocol(base, { version: 3, stage2: { learningRate: 5e-4, globalBatch: 64, microBatch: 16, samples: 64000, questionsFirst: { samples: 48000, families: { colour: 2, count: 1 } } } });
  assert.equal(edited.version, 3);
  assert.deepEqual(edited.stage2, { ...base.stage2, learningRate: 5e-4, globalBatch: 64, microBatch: 16, samples: 64000, questionsFirst: { samples: 48000, families: { colour: 2, count: 1 } } });
  assert.deepEqual(edited.stage1, base.stage1);
  assert.equal(edited.trainScenes, base.trainScenes);
  assert.equal(base.stage2.learningRate, 2e-3, "the preset itself is untouched");
  assert.deepEqual(editProtocol(base, {}), base);
  assert.equal(protocolKey(editProtocol(base, {})), protocolKey(base));
  assert.notEqual(protocolKey(edited), protocolKey(base));
  assert.match(protocolKey(edited), /^[0-9a-f]{8}$/);
});

test("a bad protocol file is refused with the file, the field and what was expected", () => {
  const bad = (edits: unknown, pattern: RegExp): void => assert.throws(() => editProtocol(base, edits), pattern);
  bad({ stage3: {} }, /unknown field "stage3"; expected one of version, projector, projectorInit/);
  bad({ stage2: { learningrate: 1 } }, /unknown field "stage2.learningrate"; expected one of samples, globalBatch/);
  bad({ stage2: { learningRate: "fast" } }, /field "stage2.learningRate": expected a positive number, got "fast"/);
  bad({ stage2: { samples: 1.5 } }, /field "stage2.samples": expected a whole number ≥ 1, got 1.5/);
  bad({ stage1: { warmupFraction: 1 } }, /field "stage1.warmupFraction": expected a number from 0 to below 1, got 1/);
  bad({ systemPrompt: "yes" }, /field "systemPrompt": expected true or false/);
  bad({ projector: "mlp0x_relu" }, /field "projector": unknown projector "mlp0x_relu"/);
  bad({ projectorInit: "xavier" }, /field "projectorInit": expected normal or pytorch, got "xavier"/);
  bad({ stage2: { questionsFirst: { samples: 10 } } }, /field "stage2.questionsFirst": "families" is missing/);
  bad({ stage2: { questionsFirst: { samples: 10, families: { colour: 1, smell: 1 } } } }, /field "stage2.questionsFirst.families.smell": not a question family; expected one of/);
  bad({ stage2: { questionsFirst: { samples: 10, families: { colour: 0 } } } }, /field "stage2.questionsFirst.families.colour": expected a positive number, got 0/);
  bad({ stage2: { questionsFirst: { samples: 16000, families: { colour: 1 } } } }, /field "stage2.questionsFirst.samples": stage 2: 16000 samples leave none for the mixture after questionsFirst's 16000/);
  bad({ stage2: { globalBatch: 20 } }, /field "stage2.globalBatch": 20 is not a multiple of stage2.microBatch, 8/);
  bad([1], /field "\(the file\)": expected an object of fields/);

  const dir = tempDir();
  const file = join(dir, "v3.json");
  writeFileSync(file, `{"stage2": {"learningRate": 5e-4,}}`);
  assert.throws(() => readProtocolFile(file, base), (err: Error) => err.message.startsWith(`${file}: not JSON`));
  writeFileSync(file, JSON.stringify({ stage2: { clipNorm: -1 } }));
  assert.throws(() => readProtocolFile(file, base), new RegExp(`^Error: ${file.replace(/[.]/g, "\\.")}: field "stage2.clipNorm": expected a positive number, got -1$`));
  assert.throws(() => readProtocolFile(join(dir, "missing.json"), base), /missing\.json: cannot read the protocol file \(ENOENT\)/);
  writeFileSync(file, JSON.stringify({ stage2: { learningRate: 5e-4 } }));
  assert.equal(readProtocolFile(file, base).stage2.learningRate, 5e-4);
});

/**
 * The LLaVA-MORE published numbers (data/paper/): a typed, validated loader that returns arquero tables.
 * Every error names the file and line and says what was expected.
 */
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import { readFileSync } from "node:fs";
import { BENCHMARK_NAMES, isBenchmarkName, type BenchmarkName } from "./benchmarks.js";
import { CsvError, parseCsv, type CsvDocument } from "../util/csv.js";
import { projectPath } from "../util/paths.js";

/** One published number, as a row of the table that `loadPublishedScores` returns. */
export interface PublishedScore {
  model_id: string;
  model_name: string;
  is_llava_more: boolean;
  llm: string;
  llm_params_b: number;
  vision_encoder: string;
  resolution: string;
  s2: boolean;
  pretrain_data: string;
  finetune_data: string;
  benchmark: BenchmarkName;
  score: number;
  /** The number exactly as printed in the source, e.g. "69.0". */
  score_text: string;
  bold_in_source: boolean;
  /** 1-based line of the row in the source file. */
  line: number;
}

export const SCORE_COLUMNS = [
  "model_id",
  "model_name_in_source",
  "is_llava_more",
  "llm",
  "llm_params_b",
  "vision_encoder",
  "resolution",
  "s2",
  "pretrain_data",
  "finetune_data",
  "benchmark",
  "score",
  "bold_in_source",
] as const;

export const MODEL_CONFIG_COLUMNS = [
  "model_id",
  "llm",
  "llm_hf_id",
  "llm_params_b",
  "vision_encoder",
  "vision_hf_id",
  "input_resolution",
  "visual_tokens_per_image",
  "s2_scales",
  "mm_projector",
  "mm_vision_select_layer",
  "conv_template",
  "pretrain_data",
  "finetune_data",
  "in_readme_table",
] as const;

export const defaultScoresFile = (): string => projectPath("data", "paper", "readme_results.csv");
export const defaultModelConfigsFile = (): string => projectPath("data", "paper", "model_configs.csv");

const NUMBER = /^-?\d+(\.\d+)?$/;

/** Reads one CSV file and hands out its fields by column name, with errors that name file and line. */
class CsvReader {
  private readonly index: Map<string, number>;

  constructor(
    readonly file: string,
    readonly doc: CsvDocument,
    required: readonly string[],
  ) {
    this.index = new Map(doc.header.map((h, i) => [h, i]));
    const missing = required.filter((c) => !this.index.has(c));
    if (missing.length > 0) {
      throw new CsvError(
        file,
        1,
        `missing column${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")} in the header`,
      );
    }
  }

  static open(file: string, required: readonly string[]): CsvReader {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new Error(`cannot read ${file}: ${(err as Error).message}`);
    }
    return new CsvReader(file, parseCsv(text, file), required);
  }

  text(values: string[], column: string): string {
    return (values[this.index.get(column) ?? -1] ?? "").trim();
  }

  number(values: string[], column: string, line: number): number {
    const raw = this.text(values, column);
    if (!NUMBER.test(raw)) throw new CsvError(this.file, line, `column "${column}": expected a number, found "${raw}"`);
    return Number(raw);
  }

  boolean(values: string[], column: string, line: number): boolean {
    const raw = this.text(values, column).toLowerCase();
    if (raw === "true") return true;
    if (raw === "false") return false;
    throw new CsvError(this.file, line, `column "${column}": expected true or false, found "${raw}"`);
  }
}

/** Parses and validates the published scores file into typed rows. */
export function readPublishedScores(file: string = defaultScoresFile()): PublishedScore[] {
  const csv = CsvReader.open(file, SCORE_COLUMNS);
  const seen = new Map<string, number>();
  const rows: PublishedScore[] = [];
  for (const { line, values } of csv.doc.records) {
    const benchmark = csv.text(values, "benchmark");
    if (!isBenchmarkName(benchmark)) {
      throw new CsvError(file, line, `unknown benchmark "${benchmark}"; expected one of ${BENCHMARK_NAMES.join(", ")}`);
    }
    const model_id = csv.text(values, "model_id");
    if (model_id === "") throw new CsvError(file, line, `column "model_id" is empty`);
    const key = `${model_id}\u0000${benchmark}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw new CsvError(file, line, `duplicate score for model "${model_id}" on ${benchmark} (first given on line ${first})`);
    }
    seen.set(key, line);
    const score_text = csv.text(values, "score");
    rows.push({
      model_id,
      model_name: csv.text(values, "model_name_in_source"),
      is_llava_more: csv.boolean(values, "is_llava_more", line),
      llm: csv.text(values, "llm"),
      llm_params_b: csv.number(values, "llm_params_b", line),
      vision_encoder: csv.text(values, "vision_encoder"),
      resolution: csv.text(values, "resolution"),
      s2: csv.boolean(values, "s2", line),
      pretrain_data: csv.text(values, "pretrain_data"),
      finetune_data: csv.text(values, "finetune_data"),
      benchmark,
      score: csv.number(values, "score", line),
      score_text,
      bold_in_source: csv.boolean(values, "bold_in_source", line),
      line,
    });
  }
  if (rows.length === 0) throw new CsvError(file, 2, "no scores: expected one row per (model, benchmark)");
  return rows;
}

/** The published scores as an arquero table, one row per (model, benchmark); see `PublishedScore`. */
export function loadPublishedScores(file: string = defaultScoresFile()): ColumnTable {
  return aq.from(readPublishedScores(file));
}

export interface ModelConfig {
  model_id: string;
  llm: string;
  llm_hf_id: string;
  llm_params_b: number;
  vision_encoder: string;
  vision_hf_id: string;
  input_resolution: string;
  visual_tokens_per_image: string;
  s2_scales: string;
  mm_projector: string;
  mm_vision_select_layer: number;
  conv_template: string;
  pretrain_data: string;
  finetune_data: string;
  in_readme_table: boolean;
}

/** Parses and validates the model configurations (11 configs: the 10 README rows and Gemma-2-9B + DINOv2). */
export function readModelConfigs(file: string = defaultModelConfigsFile()): ModelConfig[] {
  const csv = CsvReader.open(file, MODEL_CONFIG_COLUMNS);
  const seen = new Map<string, number>();
  return csv.doc.records.map(({ line, values }) => {
    const model_id = csv.text(values, "model_id");
    if (model_id === "") throw new CsvError(file, line, `column "model_id" is empty`);
    const first = seen.get(model_id);
    if (first !== undefined) throw new CsvError(file, line, `duplicate model_id "${model_id}" (first given on line ${first})`);
    seen.set(model_id, line);
    return {
      model_id,
      llm: csv.text(values, "llm"),
      llm_hf_id: csv.text(values, "llm_hf_id"),
      llm_params_b: csv.number(values, "llm_params_b", line),
      vision_encoder: csv.text(values, "vision_encoder"),
      vision_hf_id: csv.text(values, "vision_hf_id"),
      input_resolution: csv.text(values, "input_resolution"),
      visual_tokens_per_image: csv.text(values, "visual_tokens_per_image"),
      s2_scales: csv.text(values, "s2_scales"),
      mm_projector: csv.text(values, "mm_projector"),
      mm_vision_select_layer: csv.number(values, "mm_vision_select_layer", line),
      conv_template: csv.text(values, "conv_template"),
      pretrain_data: csv.text(values, "pretrain_data"),
      finetune_data: csv.text(values, "finetune_data"),
      in_readme_table: readmeFlag(csv.text(values, "in_readme_table"), file, line),
    };
  });
}

/** "yes", "no", or "no (paper Table 2 ...)": the first word decides. */
function readmeFlag(raw: string, file: string, line: number): boolean {
  const word = /^(yes|no)\b/i.exec(raw)?.[1]?.toLowerCase();
  if (word === undefined) throw new CsvError(file, line, `column "in_readme_table": expected yes or no, found "${raw}"`);
  return word === "yes";
}

export function loadModelConfigs(file: string = defaultModelConfigsFile()): ColumnTable {
  return aq.from(readModelConfigs(file));
}

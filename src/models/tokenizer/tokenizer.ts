/** A family's tokenizer: a Hugging Face tokenizer.json read with @huggingface/tokenizers. */
import { Tokenizer } from "@huggingface/tokenizers";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../util/fs.js";
import type { TokenizerJson } from "./bpe.js";

export class FamilyTokenizer {
  private readonly tokenizer: Tokenizer;
  readonly vocabSize: number;

  constructor(
    readonly json: TokenizerJson,
    readonly config: Record<string, unknown> = {},
  ) {
    this.tokenizer = new Tokenizer(json, config);
    this.vocabSize = Object.keys(json.model.vocab).length + json.added_tokens.length;
  }

  /** Token ids of `text`; special tokens written in the text map to their ids; nothing is added. */
  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: number[], skipSpecialTokens = false): string {
    if (ids.length === 0) return "";
    return this.tokenizer.decode(ids, { skip_special_tokens: skipSpecialTokens });
  }

  /** The id of a special (or any) token; throws when the vocabulary lacks it. */
  id(token: string): number {
    const id = this.tokenizer.token_to_id(token);
    if (id === undefined) throw new Error(`the tokenizer has no token "${token}"`);
    return id;
  }

  save(dir: string): string[] {
    const files = [join(dir, "tokenizer.json"), join(dir, "tokenizer_config.json")];
    writeFileAtomic(files[0]!, `${JSON.stringify(this.json)}\n`);
    writeFileAtomic(files[1]!, `${JSON.stringify(this.config, null, 2)}\n`);
    return files;
  }

  static load(dir: string): FamilyTokenizer {
    const read = (name: string): unknown => {
      const file = join(dir, name);
      try {
        return JSON.parse(readFileSync(file, "utf8"));
      } catch (err) {
        throw new Error(`${file}: cannot read the tokenizer: ${(err as Error).message}`);
      }
    };
    const json = read("tokenizer.json") as TokenizerJson;
    if (json?.model?.type !== "BPE" || typeof json.model.vocab !== "object") throw new Error(`${join(dir, "tokenizer.json")}: expected a BPE tokenizer.json`);
    return new FamilyTokenizer(json, read("tokenizer_config.json") as Record<string, unknown>);
  }
}

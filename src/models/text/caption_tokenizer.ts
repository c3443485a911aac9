/**
 * The caption tokenizer of the text towers: byte-level BPE learned on the training captions, with
 * CLIP's start/end-of-text specials and a pad token, stored as a Hugging Face tokenizer.json.
 */
import { trainByteLevelBpe } from "../tokenizer/bpe.js";
import { FamilyTokenizer } from "../tokenizer/tokenizer.js";

export const CAPTION_SPECIAL_TOKENS = { sot: "<|startoftext|>", eot: "<|endoftext|>", pad: "<|pad|>" } as const;

export class CaptionTokenizer {
  readonly sot: number;
  readonly eot: number;
  readonly pad: number;
  // Captions repeat a lot (short captions, referring phrases): encode each distinct text once.
  private readonly memo = new Map<string, readonly number[]>();

  constructor(readonly tokenizer: FamilyTokenizer) {
    this.sot = tokenizer.id(CAPTION_SPECIAL_TOKENS.sot);
    this.eot = tokenizer.id(CAPTION_SPECIAL_TOKENS.eot);
    this.pad = tokenizer.id(CAPTION_SPECIAL_TOKENS.pad);
  }

  /** Learns the merges from `corpus` (deterministic), up to `vocabSize` tokens in all. */
  static train(corpus: Iterable<string>, vocabSize: number): CaptionTokenizer {
    const specials = Object.values(CAPTION_SPECIAL_TOKENS);
    const json = trainByteLevelBpe(corpus, { vocabSize, specialTokens: specials });
    return new CaptionTokenizer(new FamilyTokenizer(json, { tokenizer_class: "PreTrainedTokenizerFast", bos_token: CAPTION_SPECIAL_TOKENS.sot, eos_token: CAPTION_SPECIAL_TOKENS.eot, pad_token: CAPTION_SPECIAL_TOKENS.pad }));
  }

  static load(dir: string): CaptionTokenizer {
    return new CaptionTokenizer(FamilyTokenizer.load(dir));
  }

  get vocabSize(): number {
    return this.tokenizer.vocabSize;
  }

  /** Token ids of `text`, no specials added. */
  encode(text: string): readonly number[] {
    let ids = this.memo.get(text);
    if (!ids) {
      ids = this.tokenizer.encode(text);
      this.memo.set(text, ids);
    }
    return ids;
  }

  decode(ids: number[]): string {
    return this.tokenizer.decode(ids, true);
  }

  save(dir: string): string[] {
    return this.tokenizer.save(dir);
  }
}

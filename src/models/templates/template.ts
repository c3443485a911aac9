/**
 * Chat templates: how a conversation becomes text, and which parts carry the loss (assistant replies
 * in stage 2, the caption in stage 1). Strings follow data/paper/PROTOCOL.md §5; "<image>" marks where the
 * image goes and becomes IMAGE_TOKEN_INDEX at encoding.
 */
export const IMAGE_PLACEHOLDER = "<image>";

export interface Turn {
  user: string;
  assistant: string;
}

export interface Conversation {
  turns: Turn[];
  /** Overrides the template's default system prompt (templates without one ignore it). */
  system?: string;
}

export interface Segment {
  text: string;
  loss: boolean;
}

export interface ChatTemplate<N extends string = string> {
  name: N;
  /** Special tokens the family's tokenizer must hold for this template. */
  specialTokens: readonly string[];
  /** Tokens that end generation. */
  stopTokens: readonly string[];
  /** The conversation as text segments, loss only on what the model must learn to produce. */
  render(conversation: Conversation): Segment[];
  /** The text that precedes the next assistant reply, given the finished turns and a new user message. */
  prompt(conversation: Conversation, user: string): string;
}

/** How a plain document is framed in a family's pretraining stream (the tokenizer's bos / eos). */
export interface DocumentMarks {
  /** Absent where the family has no bos: the eos then both separates and starts documents. */
  bos?: string;
  eos: string;
}

/** A template an LLM family is pretrained and tuned with: a chat template plus its document marks. */
export interface FamilyTemplate<N extends string = string> extends ChatTemplate<N> {
  documentMarks: DocumentMarks;
}

/** Concatenates segments, merging neighbours with the same loss flag. */
export function joinSegments(segments: readonly Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of segments) {
    if (s.text === "") continue;
    const last = out[out.length - 1];
    if (last && last.loss === s.loss) last.text += s.text;
    else out.push({ ...s });
  }
  return out;
}

/** Templates whose turns are `before(user) + reply + after`: the usual shape. */
export function turnTemplate<const N extends string>(spec: {
  name: N;
  specialTokens: readonly string[];
  stopTokens: readonly string[];
  documentMarks: DocumentMarks;
  header: (system: string | undefined) => string;
  defaultSystem?: string;
  userTurn: (user: string, index: number) => string;
  /** What follows the reply and carries loss (the end-of-turn token). */
  replyEnd: string;
  /** What follows the reply without loss (e.g. a newline after the end-of-turn token). */
  afterReply?: string;
}): FamilyTemplate<N> {
  const system = (c: Conversation) => c.system ?? spec.defaultSystem;
  return {
    name: spec.name,
    specialTokens: spec.specialTokens,
    stopTokens: spec.stopTokens,
    documentMarks: spec.documentMarks,
    render(c) {
      const segments: Segment[] = [{ text: spec.header(system(c)), loss: false }];
      c.turns.forEach((t, i) => {
        segments.push({ text: spec.userTurn(t.user, i), loss: false });
        segments.push({ text: t.assistant + spec.replyEnd, loss: true });
        if (spec.afterReply) segments.push({ text: spec.afterReply, loss: false });
      });
      return joinSegments(segments);
    },
    prompt(c, user) {
      return this.render(c).map((s) => s.text).join("") + spec.userTurn(user, c.turns.length);
    },
  };
}

/** Conversation -> token ids and labels: loss-carrying segments keep their ids as labels, the rest −100. */
import { IGNORE_INDEX } from "../llm/decoder.js";
import { IMAGE_TOKEN_INDEX, type LlavaSample } from "../llava/llava.js";
import type { FamilyTokenizer } from "../tokenizer/tokenizer.js";
import { IMAGE_PLACEHOLDER, type ChatTemplate, type Conversation } from "./template.js";

/** Token ids of text in which each "<image>" becomes IMAGE_TOKEN_INDEX. */
export function encodeWithImage(tokenizer: FamilyTokenizer, text: string): number[] {
  return text.split(IMAGE_PLACEHOLDER).flatMap((part, i) => [...(i > 0 ? [IMAGE_TOKEN_INDEX] : []), ...(part ? tokenizer.encode(part) : [])]);
}

export function encodeConversation(tokenizer: FamilyTokenizer, template: ChatTemplate, conversation: Conversation): LlavaSample {
  const ids: number[] = [];
  const labels: number[] = [];
  for (const segment of template.render(conversation)) {
    const segmentIds = encodeWithImage(tokenizer, segment.text);
    ids.push(...segmentIds);
    labels.push(...segmentIds.map((id) => (segment.loss && id !== IMAGE_TOKEN_INDEX ? id : IGNORE_INDEX)));
  }
  return { ids, labels };
}

/** Ids of the template's stop tokens in this tokenizer. */
export const stopTokenIds = (tokenizer: FamilyTokenizer, template: ChatTemplate): number[] => template.stopTokens.map((t) => tokenizer.id(t));

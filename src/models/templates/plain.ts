import { IMAGE_PLACEHOLDER, joinSegments, type ChatTemplate } from "./template.js";

/** Stage 1 (alignment): `<image>` + caption + "\n"; no system prompt, no roles; loss on the caption. */
export const plain: ChatTemplate<"plain"> = {
  name: "plain",
  specialTokens: [],
  stopTokens: [],
  render(c) {
    return joinSegments(
      c.turns.flatMap((t) => [
        { text: IMAGE_PLACEHOLDER, loss: false },
        { text: `${t.assistant}\n`, loss: true },
      ]),
    );
  },
  prompt() {
    return IMAGE_PLACEHOLDER;
  },
};

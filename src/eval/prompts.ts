/** The lmms-eval post_prompts that several tasks share (each task's yaml names its own; these recur). */

export const SHORT_ANSWER_PROMPT = "Answer the question using a single word or phrase.";

export const LETTER_PROMPT = "Answer with the option's letter from the given choices directly.";

/** Learning-rate schedules: linear warmup then cosine decay, as the LLaVA scripts (warmup 3%, cosine). */
export interface CosineSchedule {
  learningRate: number;
  /** Fraction of the steps spent warming up linearly from 0 (default 0.03). */
  warmupFraction?: number;
  /** Floor of the cosine (default 0). */
  minLearningRate?: number;
}

/** The learning rate at `step` (0-based) of `steps`. */
export function cosineLearningRate(schedule: CosineSchedule, step: number, steps: number): number {
  const warmup = Math.ceil((schedule.warmupFraction ?? 0.03) * steps);
  const floor = schedule.minLearningRate ?? 0;
  if (step < warmup) return (schedule.learningRate * (step + 1)) / warmup;
  const progress = steps > warmup ? (step - warmup) / (steps - warmup) : 1;
  return floor + 0.5 * (schedule.learningRate - floor) * (1 + Math.cos(Math.PI * Math.min(1, progress)));
}

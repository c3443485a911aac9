/**
 * A progress bar on stderr: redrawn in place on a terminal, one line per 10% otherwise (logs, CI,
 * notebooks), with rate and time left.
 */
export interface Progress {
  tick(n?: number): void;
  done(): void;
}

/** "8.2 s", "45 s", "105 min": a duration as a person reads it. */
export const durationText = (s: number): string => (s >= 90 ? `${Math.round(s / 60)} min` : `${s.toFixed(s < 10 ? 1 : 0)} s`);

/** Items per second, or seconds per item when fewer than one item in ten seconds goes by (whole runs, zoo members). */
export const rateText = (count: number, elapsedSeconds: number): string => {
  const rate = elapsedSeconds > 0 ? count / elapsedSeconds : 0;
  if (rate >= 0.1) return `${rate.toFixed(rate < 10 ? 1 : 0)}/s`;
  return rate > 0 ? `${durationText(1 / rate)} each` : "first item running";
};

let defaultStream: NodeJS.WriteStream | undefined;

/** Where bars go by default (stderr unless set): notebooks send them to stdout, where Jupyter shows them as output. */
export function setProgressStream(stream: NodeJS.WriteStream): void {
  defaultStream = stream;
}

/** Time per item and time left from what the caller knows (e.g. whole runs' recorded wall time), in seconds. */
export interface ProgressEstimate {
  secondsEach: number;
  secondsLeft: number;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  silent?: boolean;
  /**
   * Replaces the bar's own rate (items done over its elapsed time) where that misleads: items done in
   * parallel, or resumed items that finish early. Undefined falls back to the rate.
   */
  estimate?: (count: number) => ProgressEstimate | undefined;
  /**
   * Items already done before this bar began (a resumed training run): drawn as done, left out of the
   * rate, so that resuming at step 400 of 998 does not read "400000/s eta 0.0 s".
   */
  resumedAt?: number;
}

export function progressBar(label: string, total: number, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? defaultStream ?? process.stderr;
  const tty = stream.isTTY === true;
  const started = Date.now();
  const resumedAt = Math.min(total, Math.max(0, options.resumedAt ?? 0));
  let count = resumedAt;
  let lastDecile = -1;
  let lastDraw = 0;
  const line = (): string => {
    const elapsed = (Date.now() - started) / 1000;
    const fraction = total > 0 ? count / total : 1;
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = `${label} [${"=".repeat(filled)}${" ".repeat(width - filled)}] ${Math.round(100 * fraction)}% ${count}/${total}`;
    const doneHere = count - resumedAt;
    if (count >= total) return `${bar} ${rateText(doneHere, elapsed)} in ${durationText(elapsed)}`;
    const estimate = options.estimate?.(count);
    if (estimate) return `${bar} ${durationText(estimate.secondsEach)} each eta ${durationText(estimate.secondsLeft)}`;
    const rate = elapsed > 0 ? doneHere / elapsed : 0;
    return `${bar} ${rateText(doneHere, elapsed)} ${rate > 0 ? `eta ${durationText((total - count) / rate)}` : ""}`.trimEnd();
  };
  const draw = (final: boolean): void => {
    if (options.silent) return;
    if (tty) {
      const now = Date.now();
      if (!final && now - lastDraw < 100) return;
      lastDraw = now;
      stream.write(`\r${line()}${final ? "\n" : ""}`);
      return;
    }
    const decile = total > 0 ? Math.floor((10 * count) / total) : 10;
    if (decile > lastDecile || final) {
      if (!(final && decile === lastDecile && count === total && lastDecile === 10)) stream.write(`${line()}\n`);
      lastDecile = decile;
    }
  };
  return {
    tick(n = 1) {
      count = Math.min(total, count + n);
      draw(false);
    },
    done() {
      count = total;
      draw(true);
    },
  };
}

/**
 * Progress on the CLI: a bar on stderr, redrawn in place on a terminal, one line per 10% otherwise
 * (logs, CI), with rate and time left. In a notebook (`setStatusLines`): one line of output per task
 * — a study run, or a bar outside any run — whose text is replaced in place as the task goes on, so
 * a grid of twelve runs shows twelve lines, not a bar per training stage and benchmark.
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

/** One line of output whose text is replaced in place (a Jupyter display that is updated). */
export interface StatusLine {
  show(text: string): void;
}

let statusLines: (() => StatusLine) | undefined;
/** The task line that bars report into (a run in this process), if one is open. */
let currentTask: TaskLineImpl | undefined;

/**
 * Shows progress as one updating line per task instead of bars (notebooks: `factory` makes a new
 * display); undefined goes back to bars.
 */
export function setStatusLines(factory: (() => StatusLine) | undefined): void {
  statusLines = factory;
}

/** Redraws of a line in place at most this often, but for its last text. */
const LINE_REFRESH_MS = 1000;

/** One task's line: what it does now and for how long, then how it ended and what it noted. */
export interface TaskLine {
  /** What the task does now, until the next message or bar replaces it. */
  show(text: string): void;
  /** A message of the task (a stage finished): shown now, and listed on the line's last text. */
  note(text: string): void;
  /** The task's last text: "finished in 25 s" or "failed after 3 s: <detail>", then its notes. */
  end(outcome: "finished" | "failed", detail?: string): void;
}

class TaskLineImpl implements TaskLine {
  private readonly started = Date.now();
  private readonly notes: string[] = [];
  private activity = "starting";
  private lastShown = 0;
  private ended = false;
  private readonly ticker: NodeJS.Timeout;

  constructor(
    private readonly line: StatusLine,
    private readonly title: string,
    private readonly name: string,
  ) {
    // The elapsed time moves on while the task works out of sight (a worker process).
    this.ticker = setInterval(() => this.draw(true), 10 * LINE_REFRESH_MS);
    this.ticker.unref();
    this.draw(true);
  }

  /** A message that starts with the task's name ("<run id>: stage 1 …") loses it: the line names the task. */
  private own(text: string): string {
    return text.startsWith(`${this.name}: `) ? text.slice(this.name.length + 2) : text.startsWith(`${this.name} `) ? text.slice(this.name.length + 1) : text;
  }

  progress(text: string, final: boolean): void {
    this.activity = this.own(text);
    this.draw(final);
  }

  show(text: string): void {
    this.progress(text, true);
  }

  note(text: string): void {
    this.notes.push(this.own(text));
    this.progress(text, true);
  }

  end(outcome: "finished" | "failed", detail?: string): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.ticker);
    const elapsed = durationText((Date.now() - this.started) / 1000);
    const how = outcome === "finished" ? `finished in ${elapsed}` : `failed after ${elapsed}`;
    this.line.show(`${this.title}: ${how}${detail !== undefined ? `: ${detail}` : ""}${this.notes.length > 0 ? ` (${this.notes.join("; ")})` : ""}`);
  }

  private draw(force: boolean): void {
    if (this.ended) return;
    const now = Date.now();
    if (!force && now - this.lastShown < LINE_REFRESH_MS) return;
    this.lastShown = now;
    this.line.show(`${this.title}: ${this.activity} · ${durationText((now - this.started) / 1000)}`);
  }
}

/**
 * A line for one task (`name`, e.g. a run id; `title` as shown, e.g. "[3/12] <run id>"), when
 * progress shows as lines; undefined on the CLI, where bars show it.
 */
export function taskLine(name: string, title: string = name): TaskLine | undefined {
  return statusLines ? new TaskLineImpl(statusLines(), title, name) : undefined;
}

/**
 * Runs `body` with its bars reporting into `line` (a task in this process), then ends the line as
 * finished, or failed with the error's message (the error is rethrown). Without a line, only runs `body`.
 */
export async function withinTaskLine<T>(line: TaskLine | undefined, body: () => Promise<T>): Promise<T> {
  if (!(line instanceof TaskLineImpl)) return body();
  const outer = currentTask;
  currentTask = line;
  try {
    const value = await body();
    line.end("finished");
    return value;
  } catch (err) {
    line.end("failed", err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    currentTask = outer;
  }
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
  // As lines: into the open task's line, else into a line of the bar's own.
  const task = statusLines && !options.silent ? currentTask : undefined;
  const own = statusLines && !options.silent && !task ? statusLines() : undefined;
  const draw = (final: boolean): void => {
    if (options.silent) return;
    if (task) return task.progress(`${label} ${Math.round(100 * (total > 0 ? count / total : 1))}% ${count}/${total}`, final);
    if (own) {
      const now = Date.now();
      if (!final && now - lastDraw < LINE_REFRESH_MS && count < total) return;
      lastDraw = now;
      return own.show(line());
    }
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

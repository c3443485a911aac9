import { createHash } from "node:crypto";
import fs, { type Stats, closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { dirname, join, basename } from "node:path";

/**
 * Writes a file so that readers see either the old or the new content, never a partial one: the data
 * goes to a temporary file, is flushed to disk (fsync), renamed over the final name, and the folder
 * is flushed too, so a power cut cannot leave an empty file under the final name. A failed write
 * (a full disk) names the file.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(tmp, "w");
    try {
      const bytes = typeof data === "string" ? Buffer.from(data) : data;
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      fs.fsyncSync(fd); // through the module object, so a test can count the flushes
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    syncFolder(dirname(path));
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Its folder could not be made: there is no temporary file to remove.
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOSPC") throw new Error(`${path}: the disk is full (ENOSPC); nothing was replaced — free space and run the command again`);
    if (code === "EACCES" || code === "EPERM" || code === "EROFS" || code === "ENOTDIR" || code === "ENOENT") {
      throw new Error(`${path}: cannot be written, its folder ${dirname(path)} must be a writable folder (${(err as Error).message}); for a dataset or zoo on read-only storage, copy it somewhere writable`);
    }
    throw err;
  }
}

/** Flushes a folder's entries (a rename) to disk; a no-op where folders cannot be opened for syncing. */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a folder; the rename itself is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** SHA-1 of one file's bytes. */
export const fileHash = (file: string): string => createHash("sha1").update(readFileSync(file)).digest("hex");

/** Calls `visit` for every file under `dir`, in sorted path order, with its path relative to `dir` and its stats. */
function walkFiles(dir: string, visit: (path: string, stat: Stats) => void): void {
  const walk = (sub: string): void => {
    for (const name of readdirSync(join(dir, sub)).sort()) {
      const path = join(sub, name);
      const stat = statSync(join(dir, path));
      if (stat.isDirectory()) walk(path);
      else visit(path, stat);
    }
  };
  walk("");
}

/** SHA-1 over a folder's files (relative paths and contents, in sorted path order): equal exactly when the contents are. */
export function folderHash(dir: string): string {
  const hash = createHash("sha1");
  walkFiles(dir, (path) => hash.update(`${path}\0`).update(readFileSync(join(dir, path))).update("\0"));
  return hash.digest("hex");
}

/** SHA-1 over a folder's file paths, sizes and modification times (not their contents): what changes when a file is written. */
export function folderStamp(dir: string): string {
  const hash = createHash("sha1");
  walkFiles(dir, (path, stat) => hash.update(`${path}\0${stat.size}\0${stat.mtimeMs}\0`));
  return hash.digest("hex");
}

/** Total size in bytes of the files under `dir`. */
export function folderBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? folderBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
}

/**
 * Holds `file` as a lock for this process while `work` runs: created exclusively with this process's
 * id and start time, removed afterwards. A lock left by a process that no longer exists (a kill) is
 * taken over, and so is one whose process id now belongs to another process (the id was reused: its
 * start time differs); one held by a live process is an error that names it, so two runners never
 * write one folder at once.
 */
export async function withLock<T>(file: string, what: string, work: () => Promise<T>): Promise<T> {
  const take = (): boolean => {
    try {
      writeFileSync(file, `${process.pid} ${processStartTime(process.pid) ?? ""}\n`, { flag: "wx" });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      return false;
    }
  };
  if (!take()) {
    const [pidText, startText] = readFileSync(file, "utf8").trim().split(/\s+/);
    const holder = Number.parseInt(pidText ?? "", 10);
    if (Number.isInteger(holder) && holder !== process.pid && processAlive(holder) && sameProcess(holder, startText)) {
      throw new Error(`${what} is in progress in process ${holder} (lock ${file}); wait for it, or stop that process first`);
    }
    rmSync(file, { force: true });
    if (!take()) throw new Error(`${what}: another process took the lock ${file} first`);
  }
  try {
    return await work();
  } finally {
    rmSync(file, { force: true });
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A process's start time in clock ticks since boot (field 22 of /proc/PID/stat), where /proc exists. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Whether the live process `pid` is the one that wrote a lock recording `start` (unknown start: assume so). */
function sameProcess(pid: number, start: string | undefined): boolean {
  if (start === undefined || start === "") return true;
  const now = processStartTime(pid);
  return now === undefined || now === start;
}

/**
 * Removes the `<name>.partial-<pid>` folders beside `dir` that a killed writer left (its process is
 * gone); a live writer's is kept. Returns the folders removed.
 */
export function removeStalePartials(dir: string): string[] {
  const parent = dirname(dir);
  const prefix = `${basename(dir)}.partial-`;
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid) || pid <= 0 || (pid !== process.pid && processAlive(pid))) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
    removed.push(join(parent, name));
  }
  return removed;
}

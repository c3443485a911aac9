import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, basename } from "node:path";

/** Writes a file so that readers see either the old or the new content, never a partial one. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** SHA-1 of one file's bytes. */
export const fileHash = (file: string): string => createHash("sha1").update(readFileSync(file)).digest("hex");

/** SHA-1 over a folder's files (relative paths and contents, in sorted path order): equal exactly when the contents are. */
export function folderHash(dir: string): string {
  const hash = createHash("sha1");
  const walk = (sub: string): void => {
    for (const name of readdirSync(join(dir, sub)).sort()) {
      const path = join(sub, name);
      if (statSync(join(dir, path)).isDirectory()) walk(path);
      else hash.update(`${path}\0`).update(readFileSync(join(dir, path))).update("\0");
    }
  };
  walk("");
  return hash.digest("hex");
}

/** Total size in bytes of the files under `dir`. */
export function folderBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? folderBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
}

/**
 * Holds `file` as a lock for this process while `work` runs: created exclusively with this process's
 * id, removed afterwards. A lock left by a process that no longer exists (a kill) is taken over; one
 * held by a live process is an error that names it, so two runners never write one folder at once.
 */
export async function withLock<T>(file: string, what: string, work: () => Promise<T>): Promise<T> {
  const take = (): boolean => {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: "wx" });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      return false;
    }
  };
  if (!take()) {
    const holder = Number.parseInt(readFileSync(file, "utf8"), 10);
    if (Number.isInteger(holder) && holder !== process.pid && processAlive(holder)) {
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

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

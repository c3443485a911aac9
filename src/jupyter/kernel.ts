/**
 * The Jupyter kernelspec for the workbench: tslab started from the project root, so that notebook
 * cells import the library as `./src/...` and find node_modules. (tslab compiles each cell as a file
 * in its working directory and refuses imports from outside it, so the root is the only folder from
 * which both notebooks/ and src/ are reachable.)
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../util/fs.js";
import { projectRoot } from "../util/paths.js";

export const KERNEL_NAME = "llava-more-ts";
export const KERNEL_DISPLAY_NAME = "TypeScript (llava-more)";

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  env?: Record<string, string>;
}

const shellQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

export function tslabEntry(root: string = projectRoot()): string {
  return join(root, "node_modules", "tslab", "bin", "tslab");
}

export function kernelSpec(root: string = projectRoot(), node: string = process.execPath): KernelSpec {
  // The connection file arrives as $0 so that no path needs quoting inside the script.
  const script = `cd ${shellQuote(root)} && exec ${shellQuote(node)} ${shellQuote(tslabEntry(root))} kernel --config-path "$0"`;
  return {
    argv: ["/bin/sh", "-c", script, "{connection_file}"],
    display_name: KERNEL_DISPLAY_NAME,
    language: "typescript",
    env: { LLAVA_MORE_ROOT: root },
  };
}

/** The user's Jupyter data folder, as `jupyter --data-dir` would print it. */
export function userJupyterDataDir(): string {
  const env = process.env;
  if (env["JUPYTER_DATA_DIR"]) return env["JUPYTER_DATA_DIR"];
  if (process.platform === "darwin") return join(homedir(), "Library", "Jupyter");
  if (process.platform === "win32") return join(env["APPDATA"] ?? homedir(), "jupyter");
  return join(env["XDG_DATA_HOME"] ?? join(homedir(), ".local", "share"), "jupyter");
}

/** The project's own Jupyter data folder, put on JUPYTER_PATH by `npm run notebooks`. */
export const projectJupyterDir = (root: string = projectRoot()): string => join(root, ".jupyter");

export interface InstallKernelOptions {
  /** Also write into the user's Jupyter data folder, where any Jupyter finds it (default true). */
  user?: boolean;
  root?: string;
}

/** Writes kernel.json into the project's .jupyter folder and (by default) the user's; returns the paths. */
export function installKernelSpec(options: InstallKernelOptions = {}): string[] {
  const root = options.root ?? projectRoot();
  if (!existsSync(tslabEntry(root))) {
    throw new Error(`tslab is not installed at ${tslabEntry(root)}: run npm install first`);
  }
  const spec = `${JSON.stringify(kernelSpec(root), null, 2)}\n`;
  const dirs = [projectJupyterDir(root), ...(options.user === false ? [] : [userJupyterDataDir()])];
  return dirs.map((dir) => {
    const path = join(dir, "kernels", KERNEL_NAME, "kernel.json");
    writeFileAtomic(path, spec);
    return path;
  });
}

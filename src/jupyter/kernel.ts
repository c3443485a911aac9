/**
 * The Jupyter kernelspec for the workbench: tslab started from the project root, so that notebook
 * cells import the library as `./src/...` and find node_modules. (tslab compiles each cell as a file
 * in its working directory and refuses imports from outside it, so the root is the only folder from
 * which both notebooks/ and src/ are reachable.)
 *
 * One name for every checkout: the committed notebooks name it in their metadata, and Jupyter opens
 * a notebook with the kernel of that name, so a name per checkout would leave every notebook asking
 * for a kernel. The spec in the user's Jupyter folder therefore runs the checkout that wrote it last:
 * installing over one that runs another checkout warns first (`otherCheckout`), and its display name
 * shows the folder. `npm run notebooks` always runs its own checkout (the project's .jupyter copy,
 * first on JUPYTER_PATH), and so does a Jupyter started with JUPYTER_PATH=<checkout>/.jupyter.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { writeFileAtomic } from "../util/fs.js";
import { projectRoot } from "../util/paths.js";

export const KERNEL_NAME = "llava-more-ts";

/** "TypeScript (llava-more: wt10)": the kernel picker shows which checkout the kernel runs. */
export const kernelDisplayName = (root: string = projectRoot()): string => `TypeScript (llava-more: ${basename(root) || root})`;

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
    display_name: kernelDisplayName(root),
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

/** The checkout a kernelspec runs: its LLAVA_MORE_ROOT, else the folder its argv changes into; undefined if unreadable. */
export function kernelSpecRoot(file: string): string | undefined {
  try {
    const spec = JSON.parse(readFileSync(file, "utf8")) as Partial<KernelSpec>;
    const fromEnv = spec.env?.["LLAVA_MORE_ROOT"];
    if (fromEnv) return fromEnv;
    const cd = /^cd '((?:[^']|'\\'')*)'/.exec(spec.argv?.[2] ?? "");
    return cd ? cd[1]!.replaceAll(`'\\''`, "'") : undefined;
  } catch {
    return undefined;
  }
}

/** The other checkout that the kernelspec at `file` runs, if it runs one (not `root`). */
export function otherCheckout(file: string, root: string = projectRoot()): string | undefined {
  if (!existsSync(file)) return undefined;
  const other = kernelSpecRoot(file);
  return other !== undefined && other !== root ? other : undefined;
}

export interface InstalledKernel {
  /** The kernel.json files written. */
  paths: string[];
  /** Kernelspecs that ran another checkout before this call replaced them. */
  replaced: { path: string; root: string }[];
}

/**
 * Writes kernel.json into the project's .jupyter folder and (by default) the user's. Replacing a
 * spec that runs another checkout is reported through `warn` before the file is written.
 */
export function installKernelSpec(options: InstallKernelOptions & { warn?: (line: string) => void } = {}): InstalledKernel {
  const root = options.root ?? projectRoot();
  if (!existsSync(tslabEntry(root))) {
    throw new Error(`tslab is not installed at ${tslabEntry(root)}: run npm install first`);
  }
  const spec = `${JSON.stringify(kernelSpec(root), null, 2)}\n`;
  const dirs = [projectJupyterDir(root), ...(options.user === false ? [] : [userJupyterDataDir()])];
  const replaced: InstalledKernel["replaced"] = [];
  const paths = dirs.map((dir) => {
    const path = join(dir, "kernels", KERNEL_NAME, "kernel.json");
    const other = otherCheckout(path, root);
    if (other !== undefined) {
      replaced.push({ path, root: other });
      options.warn?.(
        `warning: the kernel "${KERNEL_NAME}" (${path}) ran the notebooks of another checkout, ${other}; it now runs ${root}. ` +
          `Notebooks opened from ${other} will run this checkout's code: run \`npm run kernel\` there to point it back, ` +
          `or start Jupyter with JUPYTER_PATH=<checkout>/.jupyter to use each checkout's own kernel.`,
      );
    }
    writeFileAtomic(path, spec);
    return path;
  });
  return { paths, replaced };
}

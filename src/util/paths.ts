import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const PACKAGE_NAME = "llava-more-workbench";

function isProjectRoot(dir: string): boolean {
  const pkg = join(dir, "package.json");
  if (!existsSync(pkg)) return false;
  try {
    return (JSON.parse(readFileSync(pkg, "utf8")) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/**
 * The workbench's root folder. Found by walking up from the working directory rather than from
 * this file's URL, because notebook kernels compile `src/` to CommonJS where `import.meta` is absent.
 * `LLAVA_MORE_ROOT` overrides the search.
 */
export function projectRoot(): string {
  const fromEnv = process.env["LLAVA_MORE_ROOT"];
  if (fromEnv) return resolve(fromEnv);
  for (let dir = resolve(process.cwd()); ; dir = dirname(dir)) {
    if (isProjectRoot(dir)) return dir;
    if (dirname(dir) === dir) break;
  }
  throw new Error(
    `cannot find the ${PACKAGE_NAME} folder above ${process.cwd()}: run from inside the project or set LLAVA_MORE_ROOT`,
  );
}

export const projectPath = (...parts: string[]): string => join(projectRoot(), ...parts);

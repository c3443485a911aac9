/**
 * Notebooks import src/ through tslab, which compiles with its own TypeScript (5.0) and its own options,
 * ignoring tsconfig.json: among them `declaration: true`, under which an exported value whose type uses
 * an unexported interface fails ("has or is using name … but cannot be named"). In a notebook such an
 * error shows as a bare "<Error>:" on the import cell, so check every source file here, in seconds.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { projectRoot } from "../src/util/paths.js";

interface Diagnostic {
  file?: { fileName: string; getLineAndCharacterOfPosition(pos: number): { line: number } };
  start?: number;
  messageText: unknown;
}
interface TsForTslab {
  ModuleKind: { ESNext: number };
  ModuleResolutionKind: { Node10: number };
  ScriptTarget: { ES2022: number };
  createProgram(files: string[], options: Record<string, unknown>): { emit(): { diagnostics: readonly Diagnostic[] } };
  getPreEmitDiagnostics(program: unknown): readonly Diagnostic[];
  flattenDiagnosticMessageText(text: unknown, newLine: string): string;
}

test("every src file compiles under tslab's TypeScript and options, as a notebook's import does", { timeout: 120_000 }, () => {
  const root = projectRoot();
  const ts = createRequire(join(root, "package.json"))("@tslab/typescript-for-tslab") as TsForTslab;
  const files = execFileSync("git", ["ls-files", "src/*.ts"], { cwd: root, encoding: "utf8" }).trim().split("\n").map((f) => join(root, f));
  const out = mkdtempSync(join(tmpdir(), "tslab-check-"));
  try {
    // The options tslab 1.0.22 passes (node_modules/tslab/dist/converter.js) on Node 20.
    const program = ts.createProgram(files, {
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2022.d.ts"],
      declaration: true,
      emitDeclarationOnly: true,
      experimentalDecorators: true,
      resolveJsonModule: true,
      skipLibCheck: true,
      outDir: out,
    });
    const diagnostics = [...ts.getPreEmitDiagnostics(program), ...program.emit().diagnostics].map((d) => {
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
      return `${d.file ? `${d.file.fileName.slice(root.length + 1)}:${line}: ` : ""}${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
    });
    assert.deepEqual(diagnostics, []);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

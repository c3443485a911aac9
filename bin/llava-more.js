#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so `npx llava-more` works from any folder.
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

process.env.LLAVA_MORE_ROOT ??= fileURLToPath(new URL("..", import.meta.url));
register();
const { runCli } = await import("../src/cli/index.ts");
process.exitCode = await runCli(process.argv.slice(2));

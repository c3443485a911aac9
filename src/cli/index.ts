/**
 * The workbench's command line (`npx llava-more <command>`). Each command is one entry of its group's
 * table (data.ts, zoo.ts, world.ts, published.ts, study.ts, probe.ts; their flags read through args.ts), assembled
 * into COMMANDS here.
 */
import { parseArgs } from "node:util";
import type { Command } from "./args.js";
import { DATA_COMMANDS } from "./data.js";
import { ZOO_COMMANDS } from "./zoo.js";
import { WORLD_COMMANDS } from "./world.js";
import { PUBLISHED_COMMANDS } from "./published.js";
import { STUDY_COMMANDS } from "./study.js";
import { PROBE_COMMANDS } from "./probe.js";

/** Every command, in the order help lists them: one group file each. */
const COMMANDS: Record<string, Command> = {
  ...DATA_COMMANDS,
  ...ZOO_COMMANDS,
  ...WORLD_COMMANDS,
  ...PUBLISHED_COMMANDS,
  ...STUDY_COMMANDS,
  ...PROBE_COMMANDS,
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "llava-more — the LLaVA-MORE workbench",
    "",
    "Usage: llava-more <command> [options]   (llava-more <command> --help for its options)",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join("\n");
}

function commandHelp(name: string, command: Command): string {
  const lines = Object.entries(command.options).map(([flag, o]) => {
    const arg = o.type === "string" ? " VALUE" : "";
    return `  --${flag}${arg}`.padEnd(24) + ` ${o.description}`;
  });
  return [`${command.summary}`, "", `Usage: ${command.usage}`, "", "Options:", ...lines, `  --help`.padEnd(24) + " show this help"].join("\n").replace(/^/, `llava-more ${name}: `);
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    console.log(help());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`llava-more: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  let parsed;
  try {
    const options = Object.fromEntries(Object.entries(command.options).map(([flag, o]) => [flag, { type: o.type }]));
    parsed = parseArgs({ args: rest, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`llava-more ${name}: ${(err as Error).message}\n\nUsage: ${command.usage}`);
    return 2;
  }
  if (parsed.values["help"] === true) {
    console.log(commandHelp(name, command));
    return 0;
  }
  return command.run(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals);
}

/** `main` with errors reported as one line (the full stack with LLAVA_MORE_DEBUG=1). */
export async function runCli(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (err) {
    const debug = process.env["LLAVA_MORE_DEBUG"] === "1";
    console.error(`llava-more: ${err instanceof Error ? (debug ? err.stack : err.message) : String(err)}`);
    return 1;
  }
}

const invokedDirectly = process.argv[1] !== undefined && /cli[\\/]index\.[jt]s$/.test(process.argv[1]);
if (invokedDirectly) process.exitCode = await runCli(process.argv.slice(2));

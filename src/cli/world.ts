/** The world's command of the CLI: how legible printed text is at each tower resolution. */
import { PRESETS, type Preset } from "../presets.js";
import { legibilityView, towerResolutions } from "../analysis/lab_data.js";
import { tableToMarkdown } from "../analysis/render.js";
import { legibilityProbe } from "../world/legibility.js";
import { WORLD_PRESETS } from "../world/presets.js";
import { oneOf, type Command } from "./args.js";

export const WORLD_COMMANDS: Record<string, Command> = {
  legibility: {
    summary: "measure how legible printed text is at each tower resolution (the resolution variable)",
    usage: "llava-more legibility [--preset tiny|small|base]",
    options: { preset: { type: "string", description: "world preset (default small)" } },
    async run(values) {
      const preset = oneOf<Preset>("preset", values["preset"], PRESETS, "small");
      const resolutions = [...new Set(towerResolutions(preset).map((t) => t.resolution))];
      const results = await legibilityProbe(WORLD_PRESETS[preset], { resolutions, trainPerCharacter: 16, testPerCharacter: 16 });
      console.log(tableToMarkdown(legibilityView(preset, results)));
      return 0;
    },
  },
};

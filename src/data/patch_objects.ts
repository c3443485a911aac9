/** Which object of a scene lies under each patch of a tower's grid, from the scene graph's geometry. */
import type { Scene } from "../world/scene.js";
import { squarePlacement } from "./preprocess.js";

/**
 * Per patch of the padded square image (grid × grid, row-major): the index in `scene.objects` of the
 * object whose disc, scaled by `shrink`, covers the patch centre (the nearest centre where discs
 * overlap), else -1. The image is centred on a square of its long side, as `padToSquare` does.
 */
export function patchObjects(scene: Scene, grid: number, shrink = 1): number[] {
  const { side, left, top } = squarePlacement(scene.width, scene.height);
  const short = Math.min(scene.width, scene.height);
  const out: number[] = [];
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      const x = ((gx + 0.5) / grid) * side - left;
      const y = ((gy + 0.5) / grid) * side - top;
      let best = -1;
      let nearest = Infinity;
      scene.objects.forEach((o, i) => {
        const d = Math.hypot(x - o.cx * scene.width, y - o.cy * scene.height);
        if (d <= shrink * o.radius * short && d < nearest) {
          nearest = d;
          best = i;
        }
      });
      out.push(best);
    }
  }
  return out;
}

/** The nine benchmarks of the LLaVA-MORE table as lmms-eval tasks (SEED image part only). */

import type { LmmsTask } from "../task.js";
import { ai2d } from "../../benchmarks/ai2d/task.js";
import { gqa } from "../../benchmarks/gqa/task.js";
import { mmbenchCnDev, mmbenchEnDev } from "../../benchmarks/mmbench/task.js";
import { mme } from "../../benchmarks/mme/task.js";
import { mmmuVal } from "../../benchmarks/mmmu/task.js";
import { pope } from "../../benchmarks/pope/task.js";
import { scienceqaImg } from "../../benchmarks/scienceqa_img/task.js";
import { seedbench } from "../../benchmarks/seedbench/task.js";
import { textvqaVal } from "../../benchmarks/textvqa/task.js";

/** A task with its doc and log types erased, for code that handles any of them. */
export type AnyTask = LmmsTask<unknown, object>;

/** In the README's column order. */
export const TASKS = {
  gqa,
  scienceqa_img: scienceqaImg,
  textvqa_val: textvqaVal,
  ai2d,
  pope,
  mme,
  mmbench_en_dev: mmbenchEnDev,
  mmbench_cn_dev: mmbenchCnDev,
  seedbench,
  mmmu_val: mmmuVal,
} as const satisfies Record<string, AnyTask>;

export type TaskName = keyof typeof TASKS;
export const TASK_NAMES = Object.keys(TASKS) as TaskName[];

export function isTaskName(name: string): name is TaskName {
  return Object.hasOwn(TASKS, name);
}

export function getTask(name: string): AnyTask {
  if (!isTaskName(name)) throw new Error(`unknown task "${name}"; expected one of ${TASK_NAMES.join(", ")}`);
  return TASKS[name];
}

import type { Command } from "commander";
import { registerInfoCommand } from "./info.js";
import { registerTrainCommand } from "./train.js";
import { registerEvaluateModelCommand } from "./evaluate-model.js";
import { registerClassifyCommand } from "./classify.js";
import { registerDetectCommand } from "./detect.js";
import { registerRunCommand } from "./run.js";
import { registerWorkerCommand } from "./worker.js";
import { registerStatusCommand } from "./status.js";
import { registerSeasonCommand } from "./season.js";
import { registerEvaluateCommand } from "./evaluate.js";
import { registerTuneCommand } from "./tune.js";
import { registerReviewCommand } from "./review.js";
import { registerFeedbackCommand } from "./feedback.js";
import { registerDemoSeriesCommand } from "./demo-series.js";
import { registerIssuesCommand } from "./issues.js";

/** Every subcommand's registration function; add new commands here. */
export const commands: Array<(program: Command) => void> = [
  registerInfoCommand,
  registerTrainCommand,
  registerEvaluateModelCommand,
  registerClassifyCommand,
  registerDetectCommand,
  registerRunCommand,
  registerWorkerCommand,
  registerStatusCommand,
  registerSeasonCommand,
  registerEvaluateCommand,
  registerTuneCommand,
  registerReviewCommand,
  registerFeedbackCommand,
  registerDemoSeriesCommand,
  registerIssuesCommand,
];

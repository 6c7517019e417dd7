export * from "./cached-run.js";
export * from "./retune.js";
export * from "./sweep.js";
export * from "./recommend.js";
export * from "./pr-plot.js";
export * from "./evaluate-retuned.js";
export * from "./tune-run.js";

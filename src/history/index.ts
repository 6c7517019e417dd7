/** The run history: tracked patches across months, confirmation tiers and field feedback. */
export * from "./advance.js";
export * from "./errors.js";
export * from "./feedback.js";
export * from "./match.js";
export * from "./previous-run.js";
export * from "./series-state.js";
export * from "./statuses.js";
export * from "./summary.js";
export * from "./tiers.js";

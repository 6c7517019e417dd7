export * from "./vegetation-index.js";
export * from "./season-state.js";
export * from "./abandonment.js";
export * from "./params.js";
export * from "./state-file.js";

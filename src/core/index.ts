export * from "./raster-types.js";
export * from "./errors.js";
export * from "./logger.js";

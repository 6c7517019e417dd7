export * from "./polygon-types.js";
export * from "./polygonize.js";
export * from "./polygon-geometry.js";
export * from "./polygon-validity.js";
export * from "./simplify.js";

export * from "./geotiff-writer.js";

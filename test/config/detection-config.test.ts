import { describe, expect, it } from "vitest";
import { detectionConfigSchema, parseDetectionConfig } from "../../src/config/detection-config.js";
import { CHANGE_TYPE_IDS } from "../../src/core/change-types.js";
import { ConfigError } from "../../src/core/errors.js";

describe("detection config", () => {
  it("fills every field with its default and keeps what the user set", () => {
    const c = parseDetectionConfig({ rules: { pond: { threshold: 0.72 } }, deadlines: { countyDays: 12 } });
    expect(c.rules.pond.threshold).toBe(0.72);
    expect(c.rules.pond.minAreaM2).toBe(400);
    expect(c.rules.construction.threshold).toBe(0.6);
    expect(c.deadlines).toEqual({ prefectureDays: 5, countyDays: 12 });
    expect(Object.keys(c.rules).sort()).toEqual([...CHANGE_TYPE_IDS].sort());
    expect(parseDetectionConfig(undefined)).toEqual(parseDetectionConfig({}));
  });

  it("rejects unknown keys, out-of-range values and inconsistent levels, naming the path", () => {
    expect(() => parseDetectionConfig({ rules: { pond: { thresold: 0.7 } } }, "cfg.json")).toThrow(
      /cfg\.json: rules\.pond: Unrecognized key/,
    );
    expect(() => parseDetectionConfig({ simplifyToleranceM: -1 })).toThrow(ConfigError);
    expect(() => parseDetectionConfig({ connectivity: 6 })).toThrow(/connectivity/);
    expect(() => parseDetectionConfig({ confidenceLevels: { high: 0.5, medium: 0.8 } })).toThrow(/medium/);
  });

  it("documents every leaf field with a note", () => {
    const undocumented: string[] = [];
    const leaves: string[] = [];
    const walk = (schema: unknown, path: string): void => {
      const s = schema as {
        description?: string;
        unwrap?: () => unknown;
        shape?: Record<string, unknown>;
        def?: { innerType?: unknown };
      };
      const inner = s.def?.innerType;
      const shape = (inner as { shape?: Record<string, unknown> } | undefined)?.shape ?? s.shape;
      if (shape) {
        for (const [k, v] of Object.entries(shape)) walk(v, path ? `${path}.${k}` : k);
        return;
      }
      leaves.push(path);
      if (!s.description) undocumented.push(path);
    };
    walk(detectionConfigSchema, "");
    expect(leaves).toContain("rules.pond.minAreaM2");
    expect(leaves).toContain("exclusions.mode");
    expect(undocumented).toEqual([]);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { airbyteSettings } from "../../src/commands/write-airbyte.js";
import { loadConfig } from "../../src/config/load-config.js";
import { ConfigError } from "../../src/errors.js";
import type { CatalogStream } from "../../src/protocol/airbyte.js";

const dir = mkdtempSync(join(tmpdir(), "target-s3-airbyte-settings-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function settingsWith(keyTemplate: string | undefined) {
  writeFileSync(join(dir, "c.json"), JSON.stringify({ bucket: "b", ...(keyTemplate === undefined ? {} : { key_template: keyTemplate }) }));
  return loadConfig(["c.json"], {}, dir).settings;
}

function stream(name: string, namespace: string): CatalogStream {
  return {
    name,
    namespace,
    key: `${namespace}.${name}`,
    jsonSchema: { type: "object", properties: {} },
    destinationSyncMode: "append",
    generationId: undefined,
    minimumGenerationId: undefined,
    syncId: undefined,
    cursorField: [],
  };
}

const twoUsers = [stream("users", "sales"), stream("users", "crm")];

describe("airbyteSettings: streams of the same name in different namespaces", () => {
  it("the default template gets a {namespace}/ folder in front", () => {
    expect(airbyteSettings(settingsWith(undefined), twoUsers).key_template.startsWith("{namespace}/")).toBe(true);
  });

  it("a template using {namespace}, {stream_id} or {stream_run_id} keeps them apart", () => {
    for (const t of ["{namespace}/{stream_name}-{part}.{extension}", "{stream_id}/{part}.{extension}", "{stream_run_id}-{part}.{extension}"]) {
      expect(airbyteSettings(settingsWith(t), twoUsers).key_template).toBe(t);
    }
  });

  it("a literal {{namespace}} is text, not the macro: the run stops instead of mixing both streams' objects", () => {
    const t = "{{namespace}}/{stream_name}-{connection_run_id}-{part}.{extension}";
    expect(() => airbyteSettings(settingsWith(t), twoUsers)).toThrow(ConfigError);
    expect(() => airbyteSettings(settingsWith(t), twoUsers)).toThrow(/does not use \{namespace\}/);
  });
});

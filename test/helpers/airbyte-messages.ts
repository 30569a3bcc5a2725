// The AirbyteMessage shapes a destination prints (SPEC, CONNECTION_STATUS, STATE, TRACE), written from the
// definitions of the Airbyte protocol (airbyte_protocol.yaml: AirbyteMessage, AirbyteStateMessage,
// AirbyteStateStats, AirbyteTraceMessage, AirbyteErrorTraceMessage, AirbyteConnectionStatus,
// ConnectorSpecification). Tests check every stdout line of `spec`, `check` and `write` against it.
import { Ajv } from "ajv";

const descriptor = { type: "object", required: ["name"], properties: { name: { type: "string" }, namespace: { type: "string" } } };
const stats = { type: "object", properties: { recordCount: { type: "number" } } };
const streamState = { type: "object", required: ["stream_descriptor"], properties: { stream_descriptor: descriptor, stream_state: { type: "object" } } };

const message = {
  type: "object",
  required: ["type"],
  properties: {
    type: { enum: ["RECORD", "STATE", "LOG", "SPEC", "CONNECTION_STATUS", "CATALOG", "TRACE", "CONTROL"] },
    state: {
      type: "object",
      properties: {
        type: { enum: ["GLOBAL", "STREAM", "LEGACY"] },
        stream: streamState,
        global: {
          type: "object",
          required: ["stream_states"],
          properties: { shared_state: { type: "object" }, stream_states: { type: "array", items: streamState } },
        },
        data: { type: "object" },
        sourceStats: stats,
        destinationStats: stats,
      },
    },
    trace: {
      type: "object",
      required: ["type", "emitted_at"],
      properties: {
        type: { enum: ["ERROR", "ESTIMATE", "STREAM_STATUS", "ANALYTICS"] },
        emitted_at: { type: "number" },
        error: {
          type: "object",
          required: ["message"],
          properties: {
            message: { type: "string" },
            internal_message: { type: "string" },
            stack_trace: { type: "string" },
            failure_type: { enum: ["system_error", "config_error", "transient_error"] },
            stream_descriptor: descriptor,
          },
        },
      },
    },
    connectionStatus: { type: "object", required: ["status"], properties: { status: { enum: ["SUCCEEDED", "FAILED"] }, message: { type: "string" } } },
    spec: {
      type: "object",
      required: ["connectionSpecification"],
      properties: {
        documentationUrl: { type: "string" },
        changelogUrl: { type: "string" },
        connectionSpecification: { type: "object" },
        supportsIncremental: { type: "boolean" },
        supportsNormalization: { type: "boolean" },
        supportsDBT: { type: "boolean" },
        supported_destination_sync_modes: { type: "array", items: { enum: ["append", "overwrite", "append_dedup", "update", "soft_delete"] } },
      },
    },
  },
  // Each type carries its own body.
  allOf: [
    { if: { properties: { type: { const: "STATE" } } }, then: { required: ["state"] } },
    { if: { properties: { type: { const: "TRACE" } } }, then: { required: ["trace"] } },
    { if: { properties: { type: { const: "SPEC" } } }, then: { required: ["spec"] } },
    { if: { properties: { type: { const: "CONNECTION_STATUS" } } }, then: { required: ["connectionStatus"] } },
  ],
};

const validate = new Ajv({ allErrors: true, strict: false }).compile(message);

/** Problems of stdout: lines that are not AirbyteMessages, and recordCounts written without a decimal point. */
export function airbyteStdoutProblems(stdout: string): string[] {
  const problems: string[] = [];
  for (const [i, line] of stdout.split("\n").entries()) {
    if (line.trim() === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      problems.push(`stdout line ${i + 1} is not JSON: ${line.slice(0, 80)}`);
      continue;
    }
    if (!validate(parsed)) problems.push(`stdout line ${i + 1}: ${JSON.stringify(validate.errors)}`);
    // The protocol: recordCount "should always have a decimal point for proper serialization".
    for (const m of line.matchAll(/"destinationStats":\{"recordCount":(-?[0-9.eE+-]+)/g))
      if (!m[1]!.includes(".")) problems.push(`stdout line ${i + 1}: recordCount ${m[1]} has no decimal point`);
  }
  return problems;
}

import { InputError } from "../errors.js";
import { parseSingerLine, type RecordMessage, type SchemaMessage } from "../protocol/singer.js";
import { rawFieldText } from "../protocol/raw-record.js";
import type { StreamMapper } from "../maps/stream-mapper.js";
import { readBatchFiles, type BatchFileContext } from "./batch-files.js";
import type { IncomingRecord } from "./record-encoder.js";
import type { Router } from "./router.js";

export interface SingerInputOptions {
  /** stream_maps: applied to every SCHEMA and record before the router sees them. */
  mapper?: StreamMapper | undefined;
  /** How BATCH files are read; without it a BATCH message is an error. */
  batchFiles?: BatchFileContext | undefined;
}

type Pending = Promise<void> | undefined;

/** Singer lines → router calls. The record's and the state's source text are kept exactly as sent. */
export function singerHandler(router: Router, options: SingerInputOptions = {}): (text: string, line: number, bytes?: Buffer) => Pending {
  const { mapper, batchFiles } = options;
  /** Output stream → the source stream whose mapped SCHEMA the router holds for it. */
  const schemaSource = new Map<string, string>();

  /**
   * Two sources mapped to one name (`__alias__`) each bring their own SCHEMA: before a record, the router is given
   * its source's (an identical one changes nothing), so it is never written under the other source's columns.
   */
  const useSchemaOf = (source: string, output: string, line: number): void => {
    if (!mapper || schemaSource.get(output) === source) return;
    const message = mapper.schemaFor(source, output);
    if (message) router.schema(message, line);
    schemaSource.set(output, source);
  };

  /** One record (from a RECORD line or a BATCH file) through the stream maps to the router. */
  const route = (stream: string, incoming: IncomingRecord, line: number, text: string): Pending => {
    if (!mapper) return router.record(stream, incoming, line, text);
    const raw = (): string =>
      incoming.rawText ?? (incoming.lineText !== undefined ? rawFieldText(incoming.lineText, "record") : undefined) ?? JSON.stringify(incoming.record);
    const mapped = mapper.record(stream, incoming.record, raw, line);
    if (mapped === undefined) return router.record(stream, incoming, line, text);
    let pending: Pending;
    for (const out of mapped) {
      const next =
        out.rawText === undefined
          ? incoming
          : { record: out.record, rawText: out.rawText, timeExtracted: incoming.timeExtracted, version: incoming.version, unmapped: incoming };
      const send = (): Pending => {
        useSchemaOf(stream, out.stream, line);
        return router.record(out.stream, next, line, text);
      };
      pending = pending ? pending.then(send) : send();
    }
    return pending;
  };

  const schema = (message: SchemaMessage, line: number): void => {
    for (const out of mapper ? mapper.schema(message) : [message]) {
      router.schema(out, line);
      schemaSource.set(out.stream, message.stream);
    }
  };

  return (text, line, bytes) => {
    const clock = router.metrics.lineClock();
    const message = parseSingerLine(text, line);
    router.metrics.addSampled("parse", clock);
    switch (message.type) {
      case "RECORD":
        // The record's source text is looked up in the line only when a file needs it (JSON formats, rewriting).
        return route(message.stream, recordOf(message, text, bytes), line, text);
      case "SCHEMA":
        schema(message, line);
        return undefined;
      case "STATE":
        router.state(line, rawFieldText(text, "value") ?? JSON.stringify(message.value));
        return undefined;
      case "ACTIVATE_VERSION":
        router.activateVersion(message.stream, message.version, line);
        return undefined;
      case "BATCH": {
        if (!batchFiles)
          throw new InputError(`the BATCH for stream '${message.stream}' cannot be read in this mode: send its records as RECORD messages`, line);
        // Records of the files count as RECORDs at the BATCH's line, so the next STATE waits for them.
        const { stream } = message;
        return readBatchFiles(message, line, batchFiles, (record, rawText) =>
          route(stream, { record, rawText, timeExtracted: undefined, version: undefined }, line, rawText),
        ).then(() => undefined);
      }
      case "OTHER":
        router.metrics.countUnknownMessage(message.messageType);
        router.unknown(message.messageType, line);
        return undefined;
    }
  };
}

function recordOf(message: RecordMessage, text: string, bytes: Buffer | undefined): IncomingRecord {
  return {
    record: message.record,
    rawText: undefined,
    lineText: text,
    lineBytes: bytes,
    envelopeStrings: message.envelopeStrings,
    timeExtracted: message.timeExtracted,
    version: message.version,
  };
}

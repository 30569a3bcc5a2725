import { parseSingerLine } from "../protocol/singer.js";
import { rawFieldText } from "../protocol/raw-record.js";
import type { Router } from "./router.js";

/** Singer lines → router calls. The record's and the state's source text are kept exactly as sent. */
export function singerHandler(router: Router): (text: string, line: number, bytes?: Buffer) => Promise<void> | undefined {
  return (text, line, bytes) => {
    const clock = router.metrics.lineClock();
    const message = parseSingerLine(text, line);
    router.metrics.addSampled("parse", clock);
    switch (message.type) {
      case "RECORD":
        // The record's source text is looked up in the line only when a file needs it (JSON formats, rewriting).
        return router.record(
          message.stream,
          { record: message.record, rawText: undefined, lineText: text, lineBytes: bytes, timeExtracted: message.timeExtracted, version: message.version },
          line,
          text,
        );
      case "SCHEMA":
        router.schema(message, line);
        return undefined;
      case "STATE":
        router.state(line, rawFieldText(text, "value") ?? JSON.stringify(message.value));
        return undefined;
      case "ACTIVATE_VERSION":
        router.activateVersion(message.stream, message.version, line);
        return undefined;
      case "OTHER":
        router.unknown(message.messageType, line);
        return undefined;
    }
  };
}

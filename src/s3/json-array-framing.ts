import { StringDecoder } from "node:string_decoder";
import { Transform } from "node:stream";

/** JSON lines in, one JSON array out: `[` line `,` line … `]`. */
export function jsonArrayFraming(): Transform {
  let first = true;
  let tail = "";
  const decoder = new StringDecoder("utf8");
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const text = tail + decoder.write(chunk);
      const lastNl = text.lastIndexOf("\n");
      tail = text.slice(lastNl + 1);
      const body = text.slice(0, lastNl + 1);
      if (body.length === 0) return done();
      const lines = body.slice(0, -1).split("\n");
      let out = "";
      for (const line of lines) {
        out += (first ? "[\n" : ",\n") + line;
        first = false;
      }
      done(null, out);
    },
    flush(done) {
      tail += decoder.end();
      let out = tail.length > 0 ? (first ? "[\n" : ",\n") + tail : "";
      if (tail.length > 0) first = false;
      out += first ? "[]\n" : "\n]\n";
      done(null, out);
    },
  });
}

// A stand-in for the real CLI, used by `bench.js --fake-target` to exercise the runner
// before dist/src/cli.js exists (and to check the runner itself). It takes the same
// `--config FILE` and stdin, parses every line, echoes each STATE value on stdout,
// uploads one object (a count per stream) to the configured bucket and prints a
// stage_seconds METRIC line on stderr. It is not a target: nothing about its speed or
// its STATE timing means anything.
import { readFileSync } from "node:fs";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { StringDecoder } from "node:string_decoder";

interface FakeConfig {
  bucket: string;
  aws_endpoint?: string;
  aws_region?: string;
  aws_access_key_id?: string;
  aws_secret_access_key?: string;
  force_path_style?: boolean;
  file_type?: string;
  compression?: string;
}

async function main(argv: string[]): Promise<void> {
  const i = argv.indexOf("--config");
  const path = i >= 0 ? argv[i + 1] : undefined;
  if (path === undefined) throw new Error("usage: fake-target.js --config FILE < input");
  const config = JSON.parse(readFileSync(path, "utf8")) as FakeConfig;
  const t0 = performance.now();
  const counts: Record<string, number> = {};
  const decoder = new StringDecoder("utf8");
  let rest = "";
  const handle = (line: string): void => {
    if (line.length === 0) return;
    const msg = JSON.parse(line) as { type?: string; stream?: string; value?: unknown };
    if (msg.type === "RECORD" && msg.stream !== undefined) counts[msg.stream] = (counts[msg.stream] ?? 0) + 1;
    else if (msg.type === "STATE") process.stdout.write(JSON.stringify(msg.value) + "\n");
  };
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    const text = rest + decoder.write(chunk);
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf("\n", start)) !== -1) {
      handle(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  handle(rest + decoder.end());
  const parsed = performance.now();
  const client = new S3Client({
    region: config.aws_region ?? "us-east-1",
    forcePathStyle: config.force_path_style ?? true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    ...(config.aws_endpoint !== undefined ? { endpoint: config.aws_endpoint } : {}),
    ...(config.aws_access_key_id !== undefined && config.aws_secret_access_key !== undefined
      ? { credentials: { accessKeyId: config.aws_access_key_id, secretAccessKey: config.aws_secret_access_key } }
      : {}),
  });
  await client.send(
    new PutObjectCommand({
      Bucket: config.bucket,
      Key: `fake/${config.file_type ?? "csv"}-${config.compression ?? "none"}.json`,
      Body: JSON.stringify(counts),
    }),
  );
  client.destroy();
  const done = performance.now();
  const parse = (parsed - t0) / 1000;
  const upload = (done - parsed) / 1000;
  const metric = {
    type: "timer",
    metric: "stage_seconds",
    value: parse + upload,
    tags: { parse, validate: 0, buffer: 0, convert: 0, upload },
  };
  process.stderr.write(`fake-target: done\nMETRIC: ${JSON.stringify(metric)}\n`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`fake-target: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

import { validateKeyLiteral } from "../s3/safe-key.js";
import { configSchema } from "./schema.js";

const MIN_MEMORY_LIMIT_BYTES = 16_000_000;
const MAX_OBJECT_METADATA_BYTES = 2048;

/** Checks across settings, and those JSON Schema cannot express. */
export function crossSettingProblems(data: Record<string, unknown>, origin: Map<string, string>): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const str = (name: string): string | undefined => {
    const value = data[name];
    return typeof value === "string" ? value : undefined;
  };
  const from = (name: string): string => (origin.has(name) ? ` (from ${origin.get(name)})` : "");
  const problem = (name: string, text: string): void => {
    problems.push(`${name}: ${text}${from(name)}.`);
  };
  // Literal key text (safe-key.ts): a ".." segment, a control character or a backslash would otherwise be escaped
  // into an odd folder such as "~2E~2E" instead of doing what the user meant.
  const keyLiteral = (name: string, text: string, shown = JSON.stringify(text)): void => {
    for (const p of validateKeyLiteral(name, text)) {
      problem(name, `${shown} ${p.slice(name.length + 2)}: object keys are plain folder names under the bucket, remove it`);
    }
  };

  const bucket = str("bucket");
  const bucketMistake = bucket === undefined ? undefined : bucketFormMistake(bucket);
  if (bucketMistake !== undefined) {
    problem("bucket", bucketMistake);
  } else if (bucket !== undefined && bucket !== "") {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(bucket)?.[1];
    if (scheme !== undefined && scheme.toLowerCase() !== "s3") {
      problem(
        "bucket",
        `${JSON.stringify(bucket)} is not a bucket name or s3:// URI: use s3://bucket/prefix or a bare bucket name, and set aws_endpoint for S3-compatible stores`,
      );
    } else if (scheme !== undefined) {
      const name = bucket.slice(scheme.length + 3).split("/")[0] ?? "";
      if (name === "") problem("bucket", `${JSON.stringify(bucket)} has no bucket name: use s3://bucket or s3://bucket/prefix`);
      else keyLiteral("bucket", bucket.slice(scheme.length + 3 + name.length + 1), `${JSON.stringify(bucket)} (its prefix)`);
    } else if (bucket.includes("/")) {
      problem("bucket", `${JSON.stringify(bucket)} is not a bucket name (it contains '/'): use s3://${bucket} or put the prefix in object_key_path`);
    }
    if (/\s/.test(bucket)) problem("bucket", `${JSON.stringify(bucket)} contains white space: remove it`);
  }

  const datePartition = str("date_partition_format");
  if (datePartition !== undefined && datePartition !== "" && !datePartition.includes("%")) {
    problem(
      "date_partition_format",
      `${JSON.stringify(datePartition)} has no strftime directive, so every object would go under that literal folder: use % directives, e.g. ${JSON.stringify(strftimeFor(datePartition))}`,
    );
  }
  if (
    data.deterministic_keys === true &&
    datePartition !== undefined &&
    datePartition !== "" &&
    data.key_template === configSchema().properties["key_template"]?.default
  ) {
    problem(
      "date_partition_format",
      "has no effect with deterministic_keys and the default key_template (its keys have no date folder, which would come from the run's clock): unset date_partition_format, or set a key_template with cursor macros such as {cursor_year}/{cursor_month}/{cursor_day}",
    );
  }

  const keyPath = str("object_key_path");
  if (keyPath !== undefined && /^s3:\/\//i.test(keyPath)) {
    problem(
      "object_key_path",
      `${JSON.stringify(keyPath)} must be a prefix without s3:// and bucket: put the bucket (or s3://bucket/prefix) in bucket and only the folder path here`,
    );
  }
  if (keyPath !== undefined) keyLiteral("object_key_path", keyPath);

  for (const name of ["aws_endpoint", "sts_endpoint"]) {
    const url = str(name);
    if (url === undefined) continue;
    let protocol: string | undefined;
    try {
      protocol = new URL(url).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol !== undefined && protocol !== "http:" && protocol !== "https:") {
      problem(name, `${JSON.stringify(url)} must be an http:// or https:// URL, e.g. "http://127.0.0.1:9000"`);
    }
  }

  const keyId = str("aws_access_key_id");
  const secretKey = str("aws_secret_access_key");
  if (secretKey !== undefined && keyId === undefined) {
    problem("aws_secret_access_key", "is set without aws_access_key_id: set both keys, or neither to use aws_profile or the default AWS credential chain");
  }
  if (keyId !== undefined && secretKey === undefined) {
    problem("aws_access_key_id", "is set without aws_secret_access_key: set both keys, or neither to use aws_profile or the default AWS credential chain");
  }
  if (str("aws_session_token") !== undefined && (keyId === undefined || secretKey === undefined)) {
    problem("aws_session_token", "needs aws_access_key_id and aws_secret_access_key: set them too, or remove aws_session_token");
  }
  if (keyId !== undefined && str("aws_profile") !== undefined) {
    warnings.push("aws_profile is ignored because aws_access_key_id and aws_secret_access_key are set.");
  }

  const roleArn = str("role_arn");
  const accountId = str("aws_account_id");
  if (roleArn !== undefined && accountId !== undefined && /^[0-9]{12}$/.test(accountId)) {
    const roleAccount = roleArn.split(":")[4];
    if (roleAccount !== undefined && /^[0-9]{12}$/.test(roleAccount) && roleAccount !== accountId) {
      problem("aws_account_id", `${accountId} does not match the account of role_arn (${roleAccount}): fix one of them`);
    }
  }
  if (roleArn === undefined) {
    for (const name of ["external_id", "sts_endpoint"]) {
      if (data[name] !== undefined) warnings.push(`${name} is ignored because role_arn is not set.`);
    }
  }

  const sse = str("server_side_encryption");
  if (str("kms_key_id") !== undefined && sse !== "aws:kms") {
    problem(
      "kms_key_id",
      `needs server_side_encryption "aws:kms" (it is ${sse === undefined ? "unset" : JSON.stringify(sse)}): set server_side_encryption to aws:kms, or remove kms_key_id`,
    );
  }

  if (data.compression === "gzip" && data.file_type === "avro") {
    problem(
      "compression",
      `"gzip" does not apply to file_type "avro": set compression to "none" and choose the codec inside the file with avro_codec (null, deflate, snappy or zstandard)`,
    );
  }
  if (data.compression === "gzip" && data.file_type === "parquet") {
    problem(
      "compression",
      `"gzip" does not apply to file_type "parquet": set compression to "none" and choose the codec inside the file with parquet_compression (snappy, zstd, gzip or uncompressed)`,
    );
  }

  const delimiter = str("delimiter");
  const quote = str("quote_character");
  for (const [name, value] of [
    ["delimiter", delimiter],
    ["quote_character", quote],
  ] as const) {
    if (value === "\n" || value === "\r") problem(name, "cannot be a line break: use a character such as , ; | or a tab");
  }
  if (delimiter !== undefined && delimiter === quote) {
    problem("quote_character", `is the same as delimiter (${JSON.stringify(delimiter)}): use two different characters`);
  }

  const memory = str("memory_limit");
  if (memory !== undefined) {
    const bytes = parseMemoryLimit(memory);
    if (bytes === undefined) {
      problem("memory_limit", `${JSON.stringify(memory)} is not a size: use a number with a unit, e.g. "512MB", "2GB" or "1.5GiB"`);
    } else if (bytes < MIN_MEMORY_LIMIT_BYTES) {
      problem("memory_limit", `${JSON.stringify(memory)} is too small for the buffer: use at least "16MB"`);
    }
  }

  const timezone = str("timezone");
  if (timezone !== undefined && timezone !== "" && !isTimeZone(timezone)) {
    problem("timezone", `${JSON.stringify(timezone)} is not an IANA time zone: use a name such as "UTC", "Europe/Berlin" or "America/New_York"`);
  }

  const metadata = data.object_metadata;
  if (typeof metadata === "object" && metadata !== null) {
    let size = 0;
    for (const [key, value] of Object.entries(metadata)) {
      size += Buffer.byteLength(key) + (typeof value === "string" ? Buffer.byteLength(value) : 0);
    }
    if (size > MAX_OBJECT_METADATA_BYTES) {
      problem("object_metadata", `is ${size} bytes of names and values: S3 allows at most 2 KB of user metadata; shorten or remove entries`);
    }
  }

  if (data.validate_records === false && data.invalid_record_policy !== undefined && data.invalid_record_policy !== "fail") {
    warnings.push(`invalid_record_policy "${String(data.invalid_record_policy)}" has no effect because validate_records is false.`);
  }
  if (data.manifest_redshift_entries === true && data.write_manifest !== true) {
    warnings.push("manifest_redshift_entries has no effect because write_manifest is false.");
  }
  return { problems, warnings };
}

const MEMORY_UNITS: Record<string, number> = {
  b: 1,
  byte: 1,
  bytes: 1,
  k: 1e3,
  kb: 1e3,
  kib: 2 ** 10,
  m: 1e6,
  mb: 1e6,
  mib: 2 ** 20,
  g: 1e9,
  gb: 1e9,
  gib: 2 ** 30,
  t: 1e12,
  tb: 1e12,
  tib: 2 ** 40,
};

/** Bytes of a DuckDB memory_limit such as "512MB" or "1.5GiB"; undefined when DuckDB would not accept it. */
export function parseMemoryLimit(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$/.exec(text);
  const unit = MEMORY_UNITS[(match?.[2] ?? "").toLowerCase()];
  if (match?.[1] === undefined || unit === undefined) return undefined;
  return Number(match[1]) * unit;
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * A bucket given in a form the S3 API will not take, with the form it meant: an ARN (`arn:aws:s3:::b`) or a URI
 * with a slash missing (`s3:/lake/x`, `s3:lake`).
 */
function bucketFormMistake(bucket: string): string | undefined {
  const shown = JSON.stringify(bucket);
  const arn = /^arn:[a-z-]+:s3:::([^/]+)(?:\/(.*))?$/.exec(bucket);
  if (arn !== undefined && arn !== null) {
    const meant = arn[2] ? `s3://${arn[1] ?? ""}/${arn[2]}` : (arn[1] ?? "");
    return `${shown} is a bucket ARN, not a bucket name: use ${JSON.stringify(meant)}`;
  }
  if (/^arn:/i.test(bucket)) return `${shown} is an ARN (access points and Outposts are not supported): use the bucket's name or s3://bucket/prefix`;
  const slashes = /^s3:(\/?)(?!\/)(.+)$/i.exec(bucket) ?? /^s3:\/{3,}(.+)$/i.exec(bucket);
  const rest = slashes?.[slashes.length - 1];
  if (rest !== undefined) return `${shown} is not an s3:// URI: write ${JSON.stringify(`s3://${rest.replace(/^\/+/, "")}`)}`;
  return undefined;
}

/** A date format written with YYYY/MM/DD-style tokens, in strftime: "YYYY/MM/DD" → "%Y/%m/%d". */
function strftimeFor(format: string): string {
  const tokens: Array<[RegExp, string]> = [
    [/YYYY/g, "%Y"],
    [/YY/g, "%y"],
    [/MM/g, "%m"],
    [/DD/g, "%d"],
    [/HH/g, "%H"],
    [/mm/g, "%M"],
    [/SS|ss/g, "%S"],
  ];
  const converted = tokens.reduce((text, [re, directive]) => text.replace(re, directive), format);
  return converted.includes("%") ? converted : "%Y/%m/%d";
}

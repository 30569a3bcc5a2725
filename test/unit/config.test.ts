import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { loadConfig } from "../../src/config/load-config.js";
import { parseDotenv, parseEnvValue } from "../../src/config/config-sources.js";
import { parseMemoryLimit } from "../../src/config/cross-setting-checks.js";
import { secretNames } from "../../src/config/secret-names.js";
import { configSchema, packageRoot, settingTypes } from "../../src/config/schema.js";
import { SETTING_NAMES, type Settings } from "../../src/config/settings.js";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "target-s3-config-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: unknown): string {
  writeFileSync(join(dir, name), typeof content === "string" ? content : JSON.stringify(content));
  return name;
}

/** The ConfigError loadConfig throws (fails the test when it does not throw one). */
function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("settings schema", () => {
  const properties = configSchema().properties;

  it("gives every setting a type and a description", () => {
    for (const [name, setting] of Object.entries(properties)) {
      expect(settingTypes(setting).length, `${name} has no type`).toBeGreaterThan(0);
      expect(setting.description ?? "", `${name} has no description`).toMatch(/\S.{15,}/);
    }
  });

  it("declares exactly the keys of the Settings interface", () => {
    expect(Object.keys(properties)).toEqual([...SETTING_NAMES]);
  });

  it("requires bucket only and marks secrets write-only without defaults", () => {
    expect(configSchema().required).toEqual(["bucket"]);
    expect(secretNames()).toEqual(["aws_access_key_id", "aws_secret_access_key", "aws_session_token", "external_id"]);
    for (const name of secretNames()) {
      expect(properties[name]?.writeOnly, name).toBe(true);
      expect(properties[name], name).not.toHaveProperty("default");
      expect(properties[name], name).not.toHaveProperty("examples");
    }
  });

  it("lists only values valid for the setting in enum and defaults", () => {
    for (const [name, setting] of Object.entries(properties)) {
      if (setting.enum !== undefined && "default" in setting) {
        expect(setting.enum, name).toContain(setting.default);
      }
    }
  });

  it("is found from the package root", () => {
    expect(packageRoot()).toMatch(/[\\/]?[^\\/]+$/);
    expect(configSchema().title).toBe("target-s3 settings");
  });
});

describe("loadConfig", () => {
  it("applies every schema default and leaves settings without one undefined", () => {
    const { settings, warnings, secrets } = loadConfig([file("c.json", { bucket: "my-bucket" })], {}, dir);
    expect(warnings).toEqual([]);
    expect(secrets).toEqual([]);
    for (const [name, setting] of Object.entries(configSchema().properties)) {
      const value = settings[name as keyof Settings];
      if ("default" in setting) expect(value, name).toEqual(setting.default);
      else if (name === "temp_dir") expect(value).toBe(tmpdir());
      else if (name !== "bucket") expect(value, name).toBeUndefined();
    }
    expect(Object.keys(settings)).toEqual([...SETTING_NAMES]);
    expect(settings.bucket).toBe("my-bucket");
    expect(settings.file_type).toBe("csv");
    expect(settings.batch_size_rows).toBe(1_000_000);
    expect(settings.date_partition_format).toBeNull();
  });

  it("does not share default objects between loads", () => {
    const first = loadConfig([file("c.json", { bucket: "b" })], {}, dir);
    first.settings.object_tags.x = "y";
    const second = loadConfig(["c.json"], {}, dir);
    expect(second.settings.object_tags).toEqual({});
  });

  it("keeps an s3:// bucket URI as given", () => {
    const { settings } = loadConfig([file("c.json", { bucket: "s3://my-bucket/raw/data" })], {}, dir);
    expect(settings.bucket).toBe("s3://my-bucket/raw/data");
  });

  it("lets later files win, and applies ENV after every file wherever it appears (as the Singer SDK does)", () => {
    file("a.json", { bucket: "a", file_type: "parquet", aws_region: "eu-west-1" });
    file("b.json", { bucket: "b", file_type: "jsonl" });
    const env = { TARGET_S3_BUCKET: "from-env", TARGET_S3_AWS_REGION: "ap-south-1" };

    expect(loadConfig(["a.json", "b.json"], env, dir).settings).toMatchObject({
      bucket: "b",
      file_type: "jsonl",
      aws_region: "eu-west-1",
    });
    expect(loadConfig(["b.json", "a.json"], env, dir).settings.bucket).toBe("a");
    expect(loadConfig(["a.json", "ENV"], env, dir).settings).toMatchObject({
      bucket: "from-env",
      aws_region: "ap-south-1",
      file_type: "parquet",
    });
    expect(loadConfig(["ENV", "a.json"], env, dir).settings).toMatchObject({ bucket: "from-env", aws_region: "ap-south-1", file_type: "parquet" });
    expect(loadConfig(["b.json", "ENV", "a.json"], env, dir).settings).toMatchObject({ bucket: "from-env", aws_region: "ap-south-1", file_type: "parquet" });
  });

  it("reads environment variables only for ENV", () => {
    const error = configError(() => loadConfig([], { TARGET_S3_BUCKET: "b" }, dir));
    expect(error.problems).toEqual([expect.stringContaining("bucket: is required")]);
    expect(loadConfig(["ENV"], { TARGET_S3_BUCKET: "b" }, dir).settings.bucket).toBe("b");
  });

  it("treats null as not set for settings that cannot be null", () => {
    file("a.json", { bucket: "a", aws_endpoint: "http://127.0.0.1:9000" });
    file("b.json", { aws_endpoint: null, date_partition_format: null });
    const { settings } = loadConfig(["a.json", "b.json"], {}, dir);
    expect(settings.aws_endpoint).toBe("http://127.0.0.1:9000");
    expect(settings.date_partition_format).toBeNull();
  });

  it("parses environment variables by the setting's type", () => {
    const env = {
      TARGET_S3_BUCKET: "s3://b/p",
      TARGET_S3_KEY_TEMPLATE: " {stream_name}-{part}.{extension}",
      TARGET_S3_HEADER: "off",
      TARGET_S3_VALIDATE_RECORDS: "No",
      TARGET_S3_CONTENT_MD5: "YES",
      TARGET_S3_FORCE_PATH_STYLE: "1",
      TARGET_S3_WRITE_MANIFEST: "on",
      TARGET_S3_BATCH_SIZE_ROWS: "5000",
      TARGET_S3_MAX_BATCH_AGE_SECONDS: "2.5",
      TARGET_S3_OBJECT_TAGS: '{"team":"data"}',
      TARGET_S3_CURSOR_FIELD: '{"*":"updated_at"}',
      TARGET_S3_DATE_PARTITION_FORMAT: "%Y%m%d",
      TARGET_S3_COLUMN_HEADER_FORMAT: "upper",
    };
    const { settings } = loadConfig(["ENV"], env, dir);
    expect(settings).toMatchObject({
      bucket: "s3://b/p",
      key_template: " {stream_name}-{part}.{extension}",
      header: false,
      validate_records: false,
      content_md5: true,
      force_path_style: true,
      write_manifest: true,
      batch_size_rows: 5000,
      max_batch_age_seconds: 2.5,
      object_tags: { team: "data" },
      cursor_field: { "*": "updated_at" },
      date_partition_format: "%Y%m%d",
      column_header_format: "upper",
    });
    const empty = loadConfig(["ENV"], { TARGET_S3_BUCKET: "b", TARGET_S3_DATE_PARTITION_FORMAT: "" }, dir);
    expect(empty.settings.date_partition_format).toBeNull();
    const nulled = loadConfig(["ENV"], { TARGET_S3_BUCKET: "b", TARGET_S3_COLUMN_HEADER_FORMAT: "null" }, dir);
    expect(nulled.settings.column_header_format).toBeNull();
  });

  it("reports environment values that do not parse, naming the variable", () => {
    const error = configError(() =>
      loadConfig(
        ["ENV"],
        {
          TARGET_S3_BUCKET: "b",
          TARGET_S3_HEADER: "maybe",
          TARGET_S3_BATCH_SIZE_ROWS: "lots",
          TARGET_S3_OBJECT_TAGS: "team=data",
          TARGET_S3_CURSOR_FIELD: "[1]",
          TARGET_S3_UPLOAD_CONCURRENCY: "2.5",
        },
        dir,
      ),
    );
    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^header: TARGET_S3_HEADER="maybe" is not a boolean/),
        expect.stringMatching(/^batch_size_rows: TARGET_S3_BATCH_SIZE_ROWS="lots" is not a number/),
        expect.stringMatching(/^object_tags: TARGET_S3_OBJECT_TAGS="team=data" is not valid JSON/),
        expect.stringMatching(/^cursor_field: TARGET_S3_CURSOR_FIELD="\[1\]" is not a JSON object/),
        expect.stringMatching(/^upload_concurrency: .*must be an integer.*TARGET_S3_UPLOAD_CONCURRENCY/),
      ]),
    );
    expect(error.problems).toHaveLength(5);
  });

  it("parseEnvValue covers each kind of type", () => {
    expect(parseEnvValue("abc ", { type: "string" })).toEqual({ ok: true, value: "abc " });
    expect(parseEnvValue("true", { type: "boolean" })).toEqual({ ok: true, value: true });
    expect(parseEnvValue("0", { type: "boolean" })).toEqual({ ok: true, value: false });
    expect(parseEnvValue(" 42 ", { type: "integer" })).toEqual({ ok: true, value: 42 });
    expect(parseEnvValue("1e3", { type: "number" })).toEqual({ ok: true, value: 1000 });
    expect(parseEnvValue("", { type: "number" }).ok).toBe(false);
    expect(parseEnvValue('{"a":"b"}', { type: "object" })).toEqual({ ok: true, value: { a: "b" } });
    expect(parseEnvValue('["a"]', { type: "array" })).toEqual({ ok: true, value: ["a"] });
    expect(parseEnvValue("", { type: ["string", "null"] })).toEqual({ ok: true, value: null });
    expect(parseEnvValue("%Y", { type: ["string", "null"] })).toEqual({ ok: true, value: "%Y" });
  });

  describe(".env", () => {
    it("is loaded into the environment for ENV without overriding real variables", () => {
      file(
        ".env",
        [
          "# settings for local runs",
          "TARGET_S3_BUCKET=dotenv-bucket",
          "export TARGET_S3_AWS_REGION = eu-central-1 # a comment",
          "TARGET_S3_FILE_TYPE=parquet",
          'TARGET_S3_OBJECT_TAGS=\'{"a": "b"}\'',
          'TARGET_S3_CONNECTION_ID="run one"',
          "AWS_PROFILE=dev",
          "",
        ].join("\n"),
      );
      const env: NodeJS.ProcessEnv = { TARGET_S3_FILE_TYPE: "jsonl" };
      const { settings, warnings } = loadConfig(["ENV"], env, dir);
      expect(warnings).toEqual([]);
      expect(settings).toMatchObject({
        bucket: "dotenv-bucket",
        aws_region: "eu-central-1",
        file_type: "jsonl",
        object_tags: { a: "b" },
        connection_id: "run one",
      });
      expect(env.AWS_PROFILE).toBe("dev");
      expect(env.TARGET_S3_FILE_TYPE).toBe("jsonl");
    });

    it("is not read when ENV is not a source", () => {
      file(".env", "TARGET_S3_FILE_TYPE=parquet\n");
      const env: NodeJS.ProcessEnv = {};
      const { settings } = loadConfig([file("c.json", { bucket: "b" })], env, dir);
      expect(settings.file_type).toBe("csv");
      expect(env).toEqual({});
    });

    it("parses quotes and multi-line values with dotenv; an unterminated quote does not swallow the lines after it", () => {
      const { values, unterminated } = parseDotenv('A="x\ny"\r\nB=\'lit\\n\'\nnot a pair\nC= spaced  #c\nD="open\nE=after\nexport F=1\n');
      expect(values.get("A")).toBe("x\ny");
      expect(values.get("B")).toBe("lit\\n");
      expect(values.get("C")).toBe("spaced");
      expect(values.get("D")).toBe('"open');
      expect(values.get("E")).toBe("after");
      expect(values.get("F")).toBe("1");
      expect(unterminated).toEqual(["D"]);
    });

    it("warns about an unterminated quote in .env and keeps reading the lines after it", () => {
      file(".env", 'TARGET_S3_BUCKET=b\nTARGET_S3_CONNECTION_ID="open\nTARGET_S3_FILE_TYPE=parquet\nTARGET_S3_AWS_REGION=eu-west-1\n');
      const { settings, warnings } = loadConfig(["ENV"], {}, dir);
      expect(settings).toMatchObject({ bucket: "b", file_type: "parquet", aws_region: "eu-west-1" });
      expect(warnings).toEqual([expect.stringMatching(/^\.env: the value of TARGET_S3_CONNECTION_ID opens a quote that is never closed/)]);
    });
  });

  it("reports every problem at once, each naming the setting and the fix", () => {
    file("c.json", {
      bucket: "b",
      file_type: "parquet",
      compression: "gzip",
      kms_key_id: "alias/x",
      aws_secret_access_key: "s3cr3t-value-1",
      multipart_part_size: 1024,
      delimiter: ";",
      quote_character: ";",
      role_duration_seconds: 60,
      aws_account_id: "1234",
      timezone: "Mars/Olympus",
      storage_class: "COLD",
      log_level: "verbose",
      memory_limit: "lots",
    });
    const error = configError(() => loadConfig(["c.json"], {}, dir));
    expect(error.message.split("\n")[0]).toBe("Invalid configuration");
    expect(error.exitCode).toBe(2);
    const expected: [string, RegExp][] = [
      ["compression", /parquet_compression/],
      ["kms_key_id", /server_side_encryption .*aws:kms/],
      ["aws_secret_access_key", /without aws_access_key_id/],
      ["multipart_part_size", /5242880 bytes \(5 MiB\)/],
      ["quote_character", /same as delimiter/],
      ["role_duration_seconds", /900 to 43200 seconds/],
      ["aws_account_id", /12-digit/],
      ["timezone", /IANA time zone/],
      ["storage_class", /use one of .*"STANDARD"/],
      ["log_level", /use one of "debug", "info", "warn", "error"/],
      ["memory_limit", /512MB/],
    ];
    for (const [name, fix] of expected) {
      const problem = error.problems.find((p) => p.startsWith(`${name}: `));
      expect(problem, `no problem reported for ${name}: ${error.problems.join(" / ")}`).toBeDefined();
      expect(problem).toMatch(fix);
      expect(problem).toContain("config file 'c.json'");
    }
    expect(error.problems).toHaveLength(expected.length);
    expect(error.message).not.toContain("s3cr3t-value-1");
  });

  it("checks the remaining cross-setting rules", () => {
    const problems = (config: object): string[] => configError(() => loadConfig([file("c.json", { bucket: "b", ...config })], {}, dir)).problems;
    expect(problems({ aws_access_key_id: "AKIA" })).toEqual([expect.stringMatching(/^aws_access_key_id: .*without aws_secret_access_key/)]);
    expect(problems({ aws_session_token: "t" })).toEqual([expect.stringMatching(/^aws_session_token: needs aws_access_key_id/)]);
    expect(problems({ delimiter: "ab" })).toEqual([expect.stringMatching(/^delimiter: must be exactly 1 character/)]);
    expect(problems({ quote_character: "" })).toEqual([expect.stringMatching(/^quote_character: must be exactly 1 character/)]);
    expect(problems({ delimiter: "\n" })).toEqual([expect.stringMatching(/^delimiter: cannot be a line break/)]);
    expect(problems({ role_duration_seconds: 50000 })).toEqual([expect.stringMatching(/^role_duration_seconds: 50000 is out of range/)]);
    expect(problems({ aws_account_id: "123456789012", role_arn: "arn:aws:iam::210987654321:role/w" })).toEqual([
      expect.stringMatching(/^aws_account_id: .*does not match the account of role_arn \(210987654321\)/),
    ]);
    expect(problems({ role_arn: "my-role" })).toEqual([expect.stringMatching(/^role_arn: "my-role" is not an ARN/)]);
    expect(problems({ bucket: "b/prefix" })).toEqual([expect.stringMatching(/^bucket: .*use s3:\/\/b\/prefix or put the prefix in object_key_path/)]);
    expect(problems({ bucket: "https://b.example.com" })).toEqual([expect.stringMatching(/^bucket: .*aws_endpoint/)]);
    expect(problems({ bucket: "s3://" })).toEqual([expect.stringMatching(/^bucket: .*has no bucket name/)]);
    expect(problems({ object_key_path: "s3://b/x" })).toEqual([expect.stringMatching(/^object_key_path: .*without s3:\/\//)]);
    expect(problems({ aws_endpoint: "localhost:9000" })).toEqual([expect.stringMatching(/^aws_endpoint: .*http:\/\/ or https:\/\//)]);
    expect(problems({ aws_endpoint: "not a url" })).toEqual([expect.stringMatching(/^aws_endpoint: .*is not a valid uri/)]);
    expect(problems({ memory_limit: "1MB" })).toEqual([expect.stringMatching(/^memory_limit: .*at least "16MB"/)]);
    expect(problems({ object_tags: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`t${i}`, "v"])) })).toEqual([
      expect.stringMatching(/^object_tags: has 11 entries: S3 allows at most 10/),
    ]);
    expect(problems({ object_metadata: { big: "x".repeat(3000) } })).toEqual([expect.stringMatching(/^object_metadata: .*2 KB/)]);
    expect(problems({ object_metadata: { "bad name": "x" } })).toEqual([expect.stringMatching(/^object_metadata: the name "bad name"/)]);
    expect(problems({ max_batch_age_seconds: 0 })).toEqual([
      expect.stringMatching(/^max_batch_age_seconds: 0 is out of range: use a number greater than 0 seconds/),
    ]);
    expect(problems({ header: "yes" })).toEqual([expect.stringMatching(/^header: must be a boolean, got "yes"/)]);
    expect(problems({ cursor_field: { orders: 1 } })).toEqual([expect.stringMatching(/^cursor_field\.orders: must be a string/)]);
  });

  it("accepts valid combinations", () => {
    const config = {
      bucket: "s3://b/p",
      aws_access_key_id: "AKIAEXAMPLE",
      aws_secret_access_key: "secret-example",
      aws_session_token: "token-example",
      role_arn: "arn:aws:iam::123456789012:role/writer",
      aws_account_id: "123456789012",
      external_id: "ext-example",
      server_side_encryption: "aws:kms",
      kms_key_id: "alias/data",
      file_type: "parquet",
      parquet_compression: "zstd",
      delimiter: "\t",
      quote_character: "'",
      timezone: "Europe/Berlin",
      memory_limit: "1.5GiB",
      aws_endpoint: "http://127.0.0.1:9000",
      sts_endpoint: "https://sts.example.com",
      column_header_format: "lower",
      object_tags: { team: "data" },
      cursor_field: { "*": "updated_at" },
    };
    const { settings, warnings } = loadConfig([file("c.json", config)], {}, dir);
    expect(warnings).toEqual([]);
    expect(settings).toMatchObject(config);
  });

  it("warns about unknown keys far from any setting and ignored settings instead of failing", () => {
    file("c.json", { bucket: "b", s3_bucket: "y", meltano_extra: {}, id: 3, external_id: "e" });
    const { settings, warnings } = loadConfig(["c.json", "ENV"], { TARGET_S3_CUSTOM_FLAG: "1", TARGET_S3_LOGLEVEL: "debug", OTHER: "x" }, dir);
    expect(settings).not.toHaveProperty("s3_bucket");
    expect(warnings).toEqual([
      "Unknown setting 's3_bucket' in config file 'c.json' is ignored (did you mean 'bucket'?).",
      "Unknown setting 'meltano_extra' in config file 'c.json' is ignored.",
      "Unknown setting 'id' in config file 'c.json' is ignored.",
      "Unknown environment variable TARGET_S3_CUSTOM_FLAG is ignored.",
      "external_id is ignored because role_arn is not set.",
    ]);
  });

  it("refuses the Singer SDK's load_method and hard_delete when they ask for replacing, merging or deleting (append-only passes as an unknown key)", () => {
    file("c.json", { bucket: "b", load_method: "overwrite", hard_delete: true });
    const error = configError(() => loadConfig(["c.json", "ENV"], { TARGET_S3_LOAD_METHOD: "upsert", TARGET_S3_HARD_DELETE: "true" }, dir));
    expect(error.exitCode).toBe(2);
    expect(error.problems).toEqual([
      'load_method "overwrite" (config file \'c.json\') asks to replace or merge the stream\'s data, which target-s3 does not do: every run adds new objects; remove load_method or set it to "append-only"',
      "hard_delete (config file 'c.json') asks to delete the records a tap marks with _sdc_deleted_at, which target-s3 does not do: it writes files and never deletes records (such records are written with their _sdc_deleted_at value); remove hard_delete",
      'load_method "upsert" (TARGET_S3_LOAD_METHOD) asks to replace or merge the stream\'s data, which target-s3 does not do: every run adds new objects; remove load_method or set it to "append-only"',
      "hard_delete (TARGET_S3_HARD_DELETE) asks to delete the records a tap marks with _sdc_deleted_at, which target-s3 does not do: it writes files and never deletes records (such records are written with their _sdc_deleted_at value); remove hard_delete",
    ]);
    file("c.json", { bucket: "b", load_method: "append-only", hard_delete: false });
    expect(loadConfig(["c.json"], {}, dir).warnings).toEqual([
      "Unknown setting 'load_method' in config file 'c.json' is ignored.",
      "Unknown setting 'hard_delete' in config file 'c.json' is ignored.",
    ]);
  });

  it("refuses an unknown key within edit distance 2 of a setting (a near miss such as file_typ), in files and ENV", () => {
    file("c.json", { bucket: "b", file_typ: "parquet", regoin: "eu-west-1", acl2: "private" });
    const error = configError(() => loadConfig(["c.json", "ENV"], { TARGET_S3_FILE_TPYE: "csv" }, dir));
    expect(error.exitCode).toBe(2);
    expect(error.problems).toEqual([
      "Unknown setting 'file_typ' in config file 'c.json' is a near miss of 'file_type': rename it to 'file_type' (or remove it).",
      "Unknown setting 'regoin' in config file 'c.json' is a near miss of 'aws_region': rename it to 'aws_region' (or remove it).",
      "Unknown setting 'acl2' in config file 'c.json' is a near miss of 'acl': rename it to 'acl' (or remove it).",
      "Unknown environment variable TARGET_S3_FILE_TPYE is a near miss of TARGET_S3_FILE_TYPE: rename it to TARGET_S3_FILE_TYPE (or remove it).",
    ]);
  });

  it("refuses settings that would silently do something else: ARN or half-written URI buckets, date formats without %, date folders deterministic_keys drops", () => {
    const problems = (extra: Record<string, unknown>): string[] => configError(() => loadConfig([file("c.json", { bucket: "b", ...extra })], {}, dir)).problems;
    expect(problems({ bucket: "arn:aws:s3:::lake" })).toEqual([
      'bucket: "arn:aws:s3:::lake" is a bucket ARN, not a bucket name: use "lake" (from config file \'c.json\').',
    ]);
    expect(problems({ bucket: "arn:aws-cn:s3:::lake/raw" })[0]).toContain('use "s3://lake/raw"');
    expect(problems({ bucket: "arn:aws:s3:us-east-1:123456789012:accesspoint/ap" })[0]).toMatch(/is an ARN .*use the bucket's name/);
    expect(problems({ bucket: "s3:/lake/x" })).toEqual(['bucket: "s3:/lake/x" is not an s3:// URI: write "s3://lake/x" (from config file \'c.json\').']);
    expect(problems({ bucket: "s3:lake" })[0]).toContain('write "s3://lake"');
    expect(problems({ bucket: "s3:///lake" })[0]).toContain('write "s3://lake"');
    expect(problems({ date_partition_format: "YYYY/MM/DD" })).toEqual([
      'date_partition_format: "YYYY/MM/DD" has no strftime directive, so every object would go under that literal folder: use % directives, e.g. "%Y/%m/%d" (from config file \'c.json\').',
    ]);
    expect(problems({ deterministic_keys: true, date_partition_format: "%Y%m%d" })).toEqual([
      expect.stringMatching(/^date_partition_format: has no effect with deterministic_keys and the default key_template .*cursor macros/),
    ]);
    expect(loadConfig([file("ok.json", { bucket: "s3://lake/x", date_partition_format: "%Y/%m/%d" })], {}, dir).settings.bucket).toBe("s3://lake/x");
  });

  it("names the config file that is missing, unreadable or not a JSON object", () => {
    mkdirSync(join(dir, "folder.json"));
    file("bad.json", '{"bucket": "b", "aws_secret_access_key": s3cr3t}');
    file("trailing.json", '{"bucket": "b",\n}');
    file("array.json", "[]");
    file("empty.json", "  \n");
    const error = configError(() => loadConfig(["missing.json", "folder.json", "bad.json", "trailing.json", "array.json", "empty.json"], {}, dir));
    expect(error.message.split("\n")[0]).toBe("Cannot read configuration");
    expect(error.problems).toEqual([
      expect.stringMatching(/^config file 'missing.json' not found \(looked for .*missing.json\)/),
      expect.stringMatching(/^config file 'folder.json' is a directory/),
      expect.stringMatching(/^config file 'bad.json' is not valid JSON/),
      expect.stringMatching(/^config file 'trailing.json' is not valid JSON .*line 2, column 1/),
      expect.stringMatching(/^config file 'array.json' holds an array: it must hold a JSON object/),
      expect.stringMatching(/^config file 'empty.json' is empty/),
    ]);
    expect(error.message).not.toContain("s3cr3t");
  });

  it("returns the secret values present, and never prints them in problems", () => {
    file("c.json", {
      bucket: "b",
      aws_access_key_id: "AKIA-present",
      aws_secret_access_key: "very-secret",
      external_id: "ext-secret",
      role_arn: "arn:aws:iam::123456789012:role/w",
    });
    const { settings, secrets } = loadConfig(["c.json"], {}, dir);
    expect(secrets).toEqual(["AKIA-present", "very-secret", "ext-secret"]);
    expect(settings.aws_secret_access_key).toBe("very-secret");

    file("bad.json", { bucket: "b", aws_secret_access_key: 12345678, aws_access_key_id: ["AKIA-in-array"] });
    const error = configError(() => loadConfig(["bad.json"], {}, dir));
    expect(error.problems).toEqual([
      "aws_access_key_id: must be a string, got the value (from config file 'bad.json').",
      "aws_secret_access_key: must be a string, got the value (from config file 'bad.json').",
    ]);
  });
});

describe("parseMemoryLimit", () => {
  it("reads the sizes DuckDB accepts", () => {
    expect(parseMemoryLimit("512MB")).toBe(512e6);
    expect(parseMemoryLimit("1.5 GiB")).toBe(1.5 * 2 ** 30);
    expect(parseMemoryLimit("2gb")).toBe(2e9);
    expect(parseMemoryLimit("50%")).toBeUndefined();
    expect(parseMemoryLimit("1024")).toBeUndefined();
  });
});

import { editDistance, nearest } from "../edit-distance.js";
import { ENV_PREFIX } from "./config-sources.js";

/** Common names from other S3 targets, for "did you mean" hints. */
const ALIASES: Record<string, string> = {
  s3_bucket: "bucket",
  bucket_name: "bucket",
  prefix: "object_key_path",
  s3_prefix: "object_key_path",
  s3_key_prefix: "object_key_path",
  path_prefix: "object_key_path",
  region: "aws_region",
  region_name: "aws_region",
  s3_bucket_region: "aws_region",
  endpoint: "aws_endpoint",
  endpoint_url: "aws_endpoint",
  aws_endpoint_url: "aws_endpoint",
  s3_endpoint: "aws_endpoint",
  s3_endpoint_url: "aws_endpoint",
  access_key_id: "aws_access_key_id",
  secret_access_key: "aws_secret_access_key",
  session_token: "aws_session_token",
  profile: "aws_profile",
  format: "file_type",
  file_format: "file_type",
  format_type: "file_type",
  output_format: "file_type",
  compression_codec: "parquet_compression",
  encryption: "server_side_encryption",
  encryption_type: "server_side_encryption",
  encryption_key: "kms_key_id",
  sse_kms_key_id: "kms_key_id",
  s3_acl: "acl",
  tags: "object_tags",
  metadata: "object_metadata",
  batch_size: "batch_size_rows",
  max_batch_rows: "batch_size_rows",
  naming_convention: "key_template",
  s3_key_template: "key_template",
};

/**
 * What to do with a key that is not a setting: an error when it is within edit distance 2 of a setting (a typo such
 * as `file_typ` would otherwise quietly write CSV instead of Parquet), else a warning, since orchestrators add keys of
 * their own. Short names need a closer match (`id` is not a typo of `acl`). Either way with a "did you mean".
 */
export function unknownKey(name: string, settings: readonly string[]): { typo: boolean; hint: string } {
  const close = nearest(name, settings, settingDistance);
  const typo = close !== undefined && close.distance <= Math.min(2, Math.floor((name.length - 1) / 2));
  const alias = ALIASES[name];
  const suggested = typo
    ? close?.candidate
    : (alias ?? (close !== undefined && close.distance <= Math.max(2, Math.floor(name.length / 4)) ? close.candidate : undefined));
  return { typo, hint: suggested === undefined ? "" : suggested };
}

/** Distance to a setting's name, or to it without `aws_` (`regoin` is a typo of `aws_region`). */
function settingDistance(name: string, setting: string): number {
  return Math.min(editDistance(name, setting), editDistance(name, setting.replace(/^aws_/, "")));
}

/** The sentence for an unknown key in a config file (`source`) or an unknown TARGET_S3_* variable (source ENV). */
export function unknownKeySentence(name: string, source: string | undefined, settings: readonly string[]): { typo: boolean; text: string } {
  const { typo, hint } = unknownKey(name, settings);
  const fromEnv = source === undefined;
  const shown = (setting: string): string => (fromEnv ? `${ENV_PREFIX}${setting.toUpperCase()}` : `'${setting}'`);
  const what = fromEnv ? `environment variable ${ENV_PREFIX}${name.toUpperCase()}` : `setting '${name}' in config file '${source}'`;
  if (typo) return { typo, text: `Unknown ${what} is a near miss of ${shown(hint)}: rename it to ${shown(hint)} (or remove it).` };
  return { typo, text: `Unknown ${what} is ignored${hint === "" ? "" : ` (did you mean ${shown(hint)}?)`}.` };
}

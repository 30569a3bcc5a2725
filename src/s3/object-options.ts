import type { PutObjectCommandInput } from "@aws-sdk/client-s3";
import type { Settings } from "../config/settings.js";

/** Object options applied to every upload (SSE, storage class, ACL, tags, metadata). */
export type ObjectOptions = Pick<
  PutObjectCommandInput,
  "ServerSideEncryption" | "SSEKMSKeyId" | "StorageClass" | "ACL" | "Tagging" | "Metadata" | "IfNoneMatch"
>;

export function objectOptionsOf(settings: Settings): ObjectOptions {
  const options: ObjectOptions = {};
  if (settings.server_side_encryption) options.ServerSideEncryption = settings.server_side_encryption;
  // A KMS key only means something with aws:kms (the loader rejects it with AES256).
  if (settings.kms_key_id && settings.server_side_encryption === "aws:kms") options.SSEKMSKeyId = settings.kms_key_id;
  if (settings.storage_class) options.StorageClass = settings.storage_class;
  if (settings.acl) options.ACL = settings.acl;
  const tags = Object.entries(settings.object_tags);
  // x-amz-tagging is a query string; %20 rather than URLSearchParams' "+" for spaces.
  if (tags.length > 0) options.Tagging = tags.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
  if (Object.keys(settings.object_metadata).length > 0) options.Metadata = { ...settings.object_metadata };
  return options;
}

/** The options of data objects: with deterministic_keys, `If-None-Match: *` (a 412 is checked as "already written"). */
export function dataObjectOptionsOf(settings: Settings): ObjectOptions {
  return { ...objectOptionsOf(settings), ...(settings.deterministic_keys ? { IfNoneMatch: "*" } : {}) };
}

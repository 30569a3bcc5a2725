import type { PutObjectCommandInput } from "@aws-sdk/client-s3";
import type { Settings } from "../config/settings.js";
import type { KeyTemplate } from "./key-template.js";

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

/**
 * Whether a template's keys are meant to be new in every run ({connection_run_id} or {stream_run_id}): an object
 * already there was written by another writer, never one to replace. Templates without them replace on purpose.
 */
export function isRunUnique(template: Pick<KeyTemplate, "macros">): boolean {
  return template.macros.includes("connection_run_id") || template.macros.includes("stream_run_id");
}

/**
 * The options of data objects: `If-None-Match: *` with deterministic_keys (a 412 is checked as "already written")
 * and with run-unique keys (a 412 means another writer took the key: the file goes to the next part number).
 */
export function dataObjectOptionsOf(settings: Settings, template: Pick<KeyTemplate, "macros">): ObjectOptions {
  const guarded = settings.deterministic_keys || isRunUnique(template);
  return { ...objectOptionsOf(settings), ...(guarded ? { IfNoneMatch: "*" } : {}) };
}

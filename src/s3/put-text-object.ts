import { createHash } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { ObjectOptions } from "./object-options.js";

export interface TextObject {
  bucket: string;
  key: string;
  text: string;
  contentType: string;
  /** Send Content-MD5 (buckets with Object Lock require it). */
  contentMd5: boolean;
}

/** One small object from a string (a manifest), in one PutObject. SDK errors pass through (see error-facts.ts). */
export async function putTextObject(client: S3Client, object: TextObject, options: ObjectOptions): Promise<void> {
  await client.send(
    new PutObjectCommand({
      Bucket: object.bucket,
      Key: object.key,
      Body: object.text,
      ContentType: object.contentType,
      ...(object.contentMd5 ? { ContentMD5: createHash("md5").update(object.text).digest("base64") } : {}),
      ...options,
    }),
  );
}

import type { CreateMultipartUploadCommandOutput } from "@aws-sdk/client-s3";
import type { Upload } from "@aws-sdk/lib-storage";
import type { UploadedPart } from "./confirm-upload.js";

/**
 * What lib-storage keeps on an Upload instance and does not expose: the multipart upload's id, the parts S3
 * acknowledged, the part uploaders still running, and CreateMultipartUpload's answer. The uploader needs them to
 * abort an upload itself, to confirm an upload whose last answer was lost, and to find uploads a retried
 * CreateMultipartUpload left behind. They are private API: package.json pins @aws-sdk/lib-storage to one version,
 * and test/integration/upload-internals.test.ts fails when any of them changes shape.
 */
export interface UploadInternals {
  uploadId: string | undefined;
  uploadedParts: UploadedPart[];
  concurrentUploaders: Array<Promise<unknown>>;
  createMultipartAnswer: Promise<CreateMultipartUploadCommandOutput> | undefined;
}

interface Raw {
  uploadId?: unknown;
  uploadedParts?: unknown;
  concurrentUploaders?: unknown;
  createMultiPartPromise?: unknown;
}

export function uploadInternals(upload: Upload): UploadInternals {
  const raw = upload as unknown as Raw;
  return {
    uploadId: typeof raw.uploadId === "string" ? raw.uploadId : undefined,
    uploadedParts: Array.isArray(raw.uploadedParts) ? (raw.uploadedParts as UploadedPart[]) : [],
    concurrentUploaders: Array.isArray(raw.concurrentUploaders) ? (raw.concurrentUploaders as Array<Promise<unknown>>) : [],
    createMultipartAnswer:
      raw.createMultiPartPromise instanceof Promise ? (raw.createMultiPartPromise as Promise<CreateMultipartUploadCommandOutput>) : undefined,
  };
}

// lib-storage's private fields the uploader relies on (src/s3/upload-internals.ts). package.json pins
// @aws-sdk/lib-storage exactly; this test fails when an upgrade renames or reshapes any of them.
import { randomBytes } from "node:crypto";
import { Upload } from "@aws-sdk/lib-storage";
import { describe, expect, it } from "vitest";
import { uploadInternals } from "../../src/s3/upload-internals.js";
import { useS3 } from "../helpers/s3-fixture.js";
import type { S3TestServer } from "../helpers/s3-server.js";

const MiB = 1024 * 1024;
let s3: S3TestServer;
let bucket: string;
useS3((f) => ({ s3, bucket } = f));

describe("lib-storage internals", () => {
  it("uploadId, uploadedParts, concurrentUploaders and createMultiPartPromise exist with the shapes the uploader reads", async () => {
    const body = randomBytes(6 * MiB);
    const upload = new Upload({ client: s3.client, params: { Bucket: bucket, Key: "two-parts.bin", Body: body }, partSize: 5 * MiB, leavePartsOnError: true });
    expect(Object.keys(upload)).toEqual(expect.arrayContaining(["uploadedParts", "concurrentUploaders"]));
    expect(uploadInternals(upload)).toMatchObject({ uploadId: undefined, uploadedParts: [], concurrentUploaders: [] });
    await upload.done();

    expect(Object.keys(upload)).toEqual(expect.arrayContaining(["uploadId", "uploadedParts", "concurrentUploaders", "createMultiPartPromise"]));
    const internals = uploadInternals(upload);
    expect(internals.uploadId).toMatch(/\S/);
    expect(internals.uploadedParts.map((p) => p.PartNumber)).toEqual([1, 2]);
    for (const part of internals.uploadedParts) expect(part.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(internals.concurrentUploaders.length).toBeGreaterThan(0);
    for (const uploader of internals.concurrentUploaders) expect(uploader).toBeInstanceOf(Promise);
    const created = await internals.createMultipartAnswer;
    expect(created?.UploadId).toBe(internals.uploadId);
    expect(created?.$metadata.attempts).toBe(1);
    expect((await s3.getObject(bucket, "two-parts.bin")).equals(body)).toBe(true);
  });
});

// confirmUpload against the local S3 server: an upload whose answer was lost counts as stored only when HeadObject
// shows exactly the bytes that were sent (same size and ETag), never on size alone.
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { confirmUpload, ExpectedEtag } from "../../src/s3/confirm-upload.js";
import { startS3Server, type S3TestServer } from "../helpers/s3-server.js";

const MiB = 1024 * 1024;
let s3: S3TestServer;
let bucket: string;

beforeAll(async () => {
  s3 = await startS3Server();
  bucket = await s3.createBucket();
});
afterAll(async () => {
  await s3?.close();
});

describe("confirmUpload", () => {
  it("confirms a multipart object from the parts' acknowledged ETags, and refuses one with other bytes of the same size", async () => {
    const body = randomBytes(11 * MiB);
    const upload = new Upload({ client: s3.client, params: { Bucket: bucket, Key: "multi.bin", Body: Readable.from([body]) }, partSize: 5 * MiB });
    await upload.done();
    const expected = new ExpectedEtag(5 * MiB);
    for (let at = 0; at < body.length; at += MiB) expected.update(body.subarray(at, at + MiB));
    // The parts as S3 acknowledged them (lib-storage's record of the upload).
    const parts = [0, 1, 2].map((i) => ({
      PartNumber: i + 1,
      ETag: `"${createHash("md5")
        .update(body.subarray(i * 5 * MiB, (i + 1) * 5 * MiB))
        .digest("hex")}"`,
    }));
    const etags = expected.etags(parts);
    const confirmed = await confirmUpload(s3.client, bucket, "multi.bin", { bytes: body.length, etags });
    expect(confirmed).toEqual({ stored: true, etag: etags[0] });

    const other = Buffer.from(body);
    other[7] = (other[7] ?? 0) ^ 1;
    await new Upload({ client: s3.client, params: { Bucket: bucket, Key: "multi.bin", Body: Readable.from([other]) }, partSize: 5 * MiB }).done();
    expect((await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: "multi.bin" }))).ContentLength).toBe(other.length);
    const refused = await confirmUpload(s3.client, bucket, "multi.bin", { bytes: body.length, etags });
    expect(refused.stored).toBe(false);
    expect(refused.stored === false && refused.reason).toMatch(/has ETag "[0-9a-f]{32}-3", not /);
  });

  it("never confirms on size alone: with no expected ETag (SSE-KMS) the answer is no", async () => {
    const body = randomBytes(1000);
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: "single.bin", Body: body }));
    const refused = await confirmUpload(s3.client, bucket, "single.bin", { bytes: body.length, etags: [] });
    expect(refused).toEqual({ stored: false, reason: expect.stringMatching(/no ETag was expected/) });
    const md5 = `"${createHash("md5").update(body).digest("hex")}"`;
    expect(await confirmUpload(s3.client, bucket, "single.bin", { bytes: body.length, etags: [md5] })).toEqual({ stored: true, etag: md5 });
  });

  it("answers no when the object is missing or its size differs", async () => {
    const missing = await confirmUpload(s3.client, bucket, "absent.bin", { bytes: 10, etags: ['"x"'] });
    expect(missing).toEqual({ stored: false, reason: expect.stringMatching(/HeadObject found no object \(NotFound, HTTP 404\)/) });
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: "short.bin", Body: "12345" }));
    const short = await confirmUpload(s3.client, bucket, "short.bin", { bytes: 6, etags: ['"x"'] });
    expect(short).toEqual({ stored: false, reason: "the object there has 5 bytes, not 6" });
  });
});

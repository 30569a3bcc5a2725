import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ExpectedEtag } from "../../src/s3/confirm-upload.js";

const md5 = (b: Buffer): Buffer => createHash("md5").update(b).digest();

describe("ExpectedEtag (hashed on the worker thread)", () => {
  it("is the body's MD5 for a single-part upload", async () => {
    const body = randomBytes(100_000);
    const e = new ExpectedEtag(5 << 20);
    e.update(body.subarray(0, 1234));
    e.update(body.subarray(1234));
    expect(await e.etags()).toEqual([`"${md5(body).toString("hex")}"`]);
  });

  it("is the MD5 of the parts' MD5s with the part count (and the whole-body MD5) for a multipart upload", async () => {
    const partSize = 5 << 20;
    const body = randomBytes(partSize * 2 + 777);
    const e = new ExpectedEtag(partSize);
    // Chunks that do not line up with the part boundaries.
    for (let at = 0; at < body.length; at += 300_001) e.update(body.subarray(at, Math.min(body.length, at + 300_001)));
    const parts = [body.subarray(0, partSize), body.subarray(partSize, 2 * partSize), body.subarray(2 * partSize)];
    const multipart = `"${md5(Buffer.concat(parts.map(md5))).toString("hex")}-3"`;
    expect(await e.etags()).toEqual([multipart, `"${md5(body).toString("hex")}"`]);
    expect(e.bytes).toBe(body.length);
  });
});

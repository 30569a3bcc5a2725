import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ExpectedEtag } from "../../src/s3/confirm-upload.js";

const md5 = (b: Buffer): Buffer => createHash("md5").update(b).digest();
const quoted = (digest: Buffer): string => `"${digest.toString("hex")}"`;

describe("ExpectedEtag", () => {
  it("is the body's MD5 for a single-part upload (up to and including exactly one part)", () => {
    const partSize = 5 << 20;
    for (const size of [0, 100_000, partSize]) {
      const body = randomBytes(size);
      const e = new ExpectedEtag(partSize);
      e.update(body.subarray(0, 1234));
      e.update(body.subarray(1234));
      expect(e.etags([])).toEqual([quoted(md5(body))]);
      expect(e.bytes).toBe(size);
    }
  });

  it("is the MD5 of the acknowledged parts' MD5s with the part count for a multipart upload, in part order", () => {
    const partSize = 5 << 20;
    const body = randomBytes(partSize * 2 + 777);
    const e = new ExpectedEtag(partSize);
    // Chunks that do not line up with the part boundaries.
    for (let at = 0; at < body.length; at += 300_001) e.update(body.subarray(at, Math.min(body.length, at + 300_001)));
    const parts = [body.subarray(0, partSize), body.subarray(partSize, 2 * partSize), body.subarray(2 * partSize)];
    const acknowledged = parts.map((p, i) => ({ PartNumber: i + 1, ETag: quoted(md5(p)) })).reverse();
    expect(e.etags(acknowledged)).toEqual([`"${md5(Buffer.concat(parts.map(md5))).toString("hex")}-3"`]);
    expect(e.bytes).toBe(body.length);
  });

  it("cannot tell (no ETag) when a part is missing or a part's ETag is not an MD5 (SSE-KMS)", () => {
    const partSize = 5 << 20;
    const e = new ExpectedEtag(partSize);
    e.update(randomBytes(partSize + 1));
    const md5Etag = quoted(md5(Buffer.from("x")));
    expect(e.etags([{ PartNumber: 1, ETag: md5Etag }])).toEqual([]);
    expect(
      e.etags([
        { PartNumber: 1, ETag: md5Etag },
        { PartNumber: 3, ETag: md5Etag },
      ]),
    ).toEqual([]);
    expect(
      e.etags([
        { PartNumber: 1, ETag: md5Etag },
        { PartNumber: 2, ETag: '"kms-opaque-etag"' },
      ]),
    ).toEqual([]);
    expect(
      e.etags([
        { PartNumber: 1, ETag: md5Etag },
        { PartNumber: 2, ETag: md5Etag },
      ]),
    ).toHaveLength(1);
  });
});

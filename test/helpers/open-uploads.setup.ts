// vitest setup file: on Ceph (TARGET_S3_TEST_S3=ceph), after every test, pass or fail, ListMultipartUploads on each
// bucket the test created must find no open upload: parts left behind are billed and invisible on a real store.
// s3rver cannot list uploads (501), so there the promise is checked on the wire by the fault tests instead.
import { afterEach, expect } from "vitest";
import { TEST_S3_KIND, takeCreatedBuckets } from "./s3-server.js";

if (TEST_S3_KIND === "ceph") {
  afterEach(async () => {
    const left: string[] = [];
    for (const created of takeCreatedBuckets()) {
      for (const upload of await created.openUploads()) left.push(`s3://${created.bucket}/${upload.key} (upload ${upload.uploadId})`);
    }
    expect(left, "multipart uploads left open").toEqual([]);
  });
}

// The usual integration-test setup, registered as vitest hooks: a real s3rver and a recording, fault-injecting proxy
// in front of it for the whole file; a fresh bucket and no fault rules for every test.
import { afterAll, beforeAll, beforeEach } from "vitest";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.js";
import { startS3Server, type S3TestServer } from "./s3-server.js";

export interface S3Fixture {
  s3: S3TestServer;
  proxy: FaultProxy;
  bucket: string;
}

/** `use` receives the fixture before every test, so a test file keeps plain `s3`, `proxy` and `bucket` variables. */
export function useS3WithProxy(use: (fixture: S3Fixture) => void): void {
  let s3: S3TestServer | undefined;
  let proxy: FaultProxy | undefined;
  beforeAll(async () => {
    s3 = await startS3Server();
    proxy = await startFaultProxy(s3.endpoint);
  });
  afterAll(async () => {
    await proxy?.close();
    await s3?.close();
  });
  beforeEach(async () => {
    if (!s3 || !proxy) throw new Error("the S3 server or the proxy did not start");
    const bucket = await s3.createBucket();
    proxy.setRules([]);
    proxy.clearRequests();
    use({ s3, proxy, bucket });
  });
}

/** The same without a proxy: a real s3rver for the whole file and a fresh bucket for every test. */
export function useS3(use: (fixture: Omit<S3Fixture, "proxy">) => void): void {
  let s3: S3TestServer | undefined;
  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(async () => {
    await s3?.close();
  });
  beforeEach(async () => {
    if (!s3) throw new Error("the S3 server did not start");
    use({ s3, bucket: await s3.createBucket() });
  });
}

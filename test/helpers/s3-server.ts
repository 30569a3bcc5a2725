// A real S3-compatible HTTP server (s3rver) for tests, in-process on 127.0.0.1 with an ephemeral port and a fresh
// directory. Known s3rver limits: AbortMultipartUpload and ListParts answer 405, ListMultipartUploads answers 501,
// so aborts must be asserted on the wire (fault-proxy's `requests`), not through the server.
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsCommand,
  S3Client,
  type ListObjectsCommandOutput,
} from "@aws-sdk/client-s3";

interface S3rverObject {
  content: Buffer | NodeJS.ReadableStream;
}
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
  store: {
    putObject(object: S3rverObject): Promise<unknown>;
    putObjectMultipart(bucket: string, uploadId: string, parts: Array<{ number: number }>): Promise<{ size: number; md5: string }>;
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  };
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  resetOnClose?: boolean;
}) => S3rverInstance;

// s3rver is CommonJS without type declarations.
const require = createRequire(import.meta.url);
const S3rver = require("s3rver") as S3rverConstructor;
// s3rver checks only that a SigV4 access key id is registered (it does not verify V4 signatures); keys live in a
// process-wide registry on its dummy account, where only S3RVER/S3RVER exists at first.
const s3rverAccounts = require("s3rver/lib/models/account.js") as {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
};

export const S3RVER_ACCESS_KEY_ID = "S3RVER";
export const S3RVER_SECRET_ACCESS_KEY = "S3RVER";

export interface S3ObjectSummary {
  key: string;
  size: number;
}

export interface S3TestServer {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly port: number;
  /** The directory s3rver stores buckets in (removed by close()). */
  readonly directory: string;
  /** An SDK client for this server (path style, us-east-1, S3RVER keys, checksums WHEN_REQUIRED). */
  readonly client: S3Client;
  /** Creates a bucket (random lowercase name `test-…` by default) and returns its name. */
  createBucket(name?: string): Promise<string>;
  /** Every object in the bucket under prefix, sorted by key (all pages). */
  listObjects(bucket: string, prefix?: string): Promise<S3ObjectSummary[]>;
  getObject(bucket: string, key: string): Promise<Buffer>;
  /**
   * Lets requests signed with another access key id through (s3rver answers InvalidAccessKeyId for unknown ids),
   * e.g. the temporary keys a fake STS issued. The registry is process-wide, shared by every s3rver in the worker.
   */
  allowAccessKey(accessKeyId: string, secretAccessKey?: string): void;
  /** Stops the server, drops open connections and removes its directory. Safe to call twice. */
  close(): Promise<void>;
}

/** An S3 client pointed at any endpoint (the server itself, or a fault proxy in front of it). */
export function makeS3Client(endpoint: string, extra: { maxAttempts?: number } = {}): S3Client {
  return new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: S3RVER_ACCESS_KEY_ID, secretAccessKey: S3RVER_SECRET_ACCESS_KEY },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    ...(extra.maxAttempts !== undefined ? { maxAttempts: extra.maxAttempts } : {}),
  });
}

export function randomBucketName(prefix = "test"): string {
  return `${prefix}-${randomBytes(6).toString("hex")}`;
}

/**
 * s3rver opens (and truncates) the object's file before the request body arrives, so a PutObject whose client dies
 * mid-request leaves an empty object behind, or empties the one that was there. S3 stores a PUT whole or not at
 * all: the body is read to its end first, and an aborted request changes nothing.
 */
function makePutObjectAtomic(s3rver: S3rverInstance): void {
  const store = s3rver.store;
  const putObject = store.putObject.bind(store);
  store.putObject = async (object) => {
    if (Buffer.isBuffer(object.content)) return putObject(object);
    const chunks: Buffer[] = [];
    for await (const chunk of object.content) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    return putObject({ ...object, content: Buffer.concat(chunks) });
  };
}

/**
 * s3rver gives a completed multipart object the MD5 of its whole body as ETag. S3 (and MinIO, Ceph, R2) give the MD5
 * of the parts' binary MD5s followed by `-<number of parts>`, which is what the target expects when it confirms an
 * upload whose CompleteMultipartUpload answer was lost.
 */
function makeMultipartEtagLikeS3(s3rver: S3rverInstance): void {
  const store = s3rver.store;
  const complete = store.putObjectMultipart.bind(store);
  store.putObjectMultipart = async (bucket, uploadId, parts) => {
    const uploadDir = join(store.getResourcePath(bucket, undefined, "uploads"), uploadId);
    const key = readFileSync(join(uploadDir, "key"), "utf8");
    const digests = [...parts]
      .sort((a, b) => a.number - b.number)
      .map((part) => createHash("md5").update(readFileSync(join(uploadDir, String(part.number)))).digest());
    const result = await complete(bucket, uploadId, parts);
    const etag = `${createHash("md5").update(Buffer.concat(digests)).digest("hex")}-${digests.length}`;
    writeFileSync(store.getResourcePath(bucket, key, "object.md5"), etag);
    return { ...result, md5: etag };
  };
}

export async function startS3Server(): Promise<S3TestServer> {
  const directory = mkdtempSync(join(tmpdir(), "target-s3-s3rver-"));
  const s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory });
  makePutObjectAtomic(s3rver);
  makeMultipartEtagLikeS3(s3rver);
  let address: AddressInfo;
  try {
    address = await s3rver.run();
  } catch (err) {
    rmSync(directory, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = makeS3Client(endpoint);
  let closed = false;

  return {
    endpoint,
    port: address.port,
    directory,
    client,

    async createBucket(name?: string): Promise<string> {
      const bucket = name ?? randomBucketName();
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },

    async listObjects(bucket: string, prefix?: string): Promise<S3ObjectSummary[]> {
      // ListObjects (v1) with Marker: s3rver's v2 continuation tokens need DES (see vitest.config.ts).
      const out: S3ObjectSummary[] = [];
      let marker: string | undefined;
      for (;;) {
        const page: ListObjectsCommandOutput = await client.send(
          new ListObjectsCommand({
            Bucket: bucket,
            ...(prefix !== undefined ? { Prefix: prefix } : {}),
            ...(marker !== undefined ? { Marker: marker } : {}),
          }),
        );
        const contents = page.Contents ?? [];
        for (const o of contents) out.push({ key: o.Key ?? "", size: o.Size ?? 0 });
        const last = contents.at(-1)?.Key;
        if (!page.IsTruncated || last === undefined) break;
        marker = last;
      }
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },

    async getObject(bucket: string, key: string): Promise<Buffer> {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!res.Body) throw new Error(`GetObject s3://${bucket}/${key} returned no body`);
      return Buffer.from(await res.Body.transformToByteArray());
    },

    allowAccessKey(accessKeyId: string, secretAccessKey = "unused-by-s3rver-for-sigv4"): void {
      s3rverAccounts.DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      client.destroy();
      const server = s3rver.httpServer;
      const closing = s3rver.close();
      // Keep-alive sockets (from the CLI under test, or a proxy's agent) must not hold the close open.
      server?.closeAllConnections();
      await closing;
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

// A real S3-compatible HTTP server for tests: s3rver in-process on 127.0.0.1 with an ephemeral port and a fresh
// directory (the default), or, with TARGET_S3_TEST_S3=ceph, the Ceph RADOS Gateway that ceph-global-setup.ts
// started for the run (ceph-s3.ts). Known s3rver limits: it does not verify SigV4 signatures, AbortMultipartUpload
// and ListParts answer 405, ListMultipartUploads answers 501, so on s3rver aborts must be asserted on the wire
// (fault-proxy's `requests`); on Ceph `openUploads` asks the server, and every test is checked to leave none
// (open-uploads.setup.ts).
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  S3Client,
  type ListMultipartUploadsCommandOutput,
  type ListObjectsCommandOutput,
} from "@aws-sdk/client-s3";
import { cephAddKey, cephFromEnv, onCeph, type CephS3 } from "./ceph-s3.js";

interface S3rverObject {
  bucket: string;
  key: string;
  metadata: Record<string, string>;
  content: Buffer | NodeJS.ReadableStream;
}
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
  store: {
    putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
    putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
    putObjectMultipart(bucket: string, uploadId: string, parts: Array<{ number: number }>): Promise<{ size: number; md5: string }>;
    putPart(bucket: string, uploadId: string, partNumber: number, content: NodeJS.ReadableStream): Promise<{ size: number; md5: string }>;
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  };
}
type S3rverConstructor = new (options: { address: string; port: number; silent: boolean; directory: string; resetOnClose?: boolean }) => S3rverInstance;

// s3rver is CommonJS without type declarations.
const require = createRequire(import.meta.url);
const S3rver = require("s3rver") as S3rverConstructor;
// s3rver checks only that a SigV4 access key id is registered (it does not verify V4 signatures); keys live in a
// process-wide registry on its dummy account, where only S3RVER/S3RVER exists at first.
const s3rverAccounts = require("s3rver/lib/models/account.js") as {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
};

const ceph: CephS3 | undefined = onCeph() ? cephFromEnv() : undefined;
/** The keys of the test server's user (s3rver: S3RVER/S3RVER; Ceph: the random keys its start made). */
export const TEST_ACCESS_KEY_ID = ceph?.accessKeyId ?? "S3RVER";
export const TEST_SECRET_ACCESS_KEY = ceph?.secretAccessKey ?? "S3RVER";
/** Which server the tests talk to. */
export const TEST_S3_KIND: "s3rver" | "ceph" = ceph ? "ceph" : "s3rver";

export interface OpenUpload {
  key: string;
  uploadId: string;
}

/** Every bucket a test server created, for the after-each check that no multipart upload is left open. */
const createdBuckets = new Set<CreatedBucket>();

export interface CreatedBucket {
  bucket: string;
  openUploads(): Promise<OpenUpload[]>;
}

/** Buckets created since the last call (and forgets them). */
export function takeCreatedBuckets(): CreatedBucket[] {
  const out = [...createdBuckets];
  createdBuckets.clear();
  return out;
}

export interface S3ObjectSummary {
  key: string;
  size: number;
}

export interface S3TestServer {
  readonly kind: "s3rver" | "ceph";
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly port: number;
  /** The directory s3rver stores buckets in (removed by close()); Ceph: the cluster's folder. */
  readonly directory: string;
  /** An SDK client for this server (path style, us-east-1, the test keys, checksums WHEN_REQUIRED). */
  readonly client: S3Client;
  /** Creates a bucket (random lowercase name `test-…` by default) and returns its name. */
  createBucket(name?: string): Promise<string>;
  /** Every object in the bucket under prefix, sorted by key (all pages). */
  listObjects(bucket: string, prefix?: string): Promise<S3ObjectSummary[]>;
  getObject(bucket: string, key: string): Promise<Buffer>;
  /** Multipart uploads still open under prefix (ListMultipartUploads, all pages). s3rver cannot answer (501). */
  openUploads(bucket: string, prefix?: string): Promise<OpenUpload[]>;
  /**
   * Lets requests signed with another access key id through (s3rver answers InvalidAccessKeyId for unknown ids),
   * e.g. the temporary keys a fake STS issued. The registry is process-wide, shared by every s3rver in the worker.
   * On Ceph this creates a user with these keys (the secret matters there: signatures are verified).
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
    credentials: { accessKeyId: TEST_ACCESS_KEY_ID, secretAccessKey: TEST_SECRET_ACCESS_KEY },
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
 * mid-request leaves an empty object behind, or empties the one that was there; and it answers (PutObject and
 * CompleteMultipartUpload alike) before the file is written to its end, so a HeadObject right after it can find a
 * short object (seen: 10 of 11 MiB). S3 stores a PUT whole or not at all and answers once it is stored: the body is
 * read to its end, written beside the object and renamed over it, and only then answered.
 */
function makePutObjectAtomic(s3rver: S3rverInstance): void {
  const store = s3rver.store;
  store.putObject = async (object) => {
    let body: Buffer;
    if (Buffer.isBuffer(object.content)) body = object.content;
    else {
      const chunks: Buffer[] = [];
      for await (const chunk of object.content) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      body = Buffer.concat(chunks);
    }
    const objectPath = store.getResourcePath(object.bucket, object.key, "object");
    mkdirSync(dirname(objectPath), { recursive: true });
    const partial = `${objectPath}.${randomBytes(4).toString("hex")}.partial`;
    await writeFile(partial, body);
    await rename(partial, objectPath);
    const md5 = createHash("md5").update(body).digest("hex");
    await store.putMetadata(object.bucket, object.key, object.metadata, md5);
    return { size: body.length, md5 };
  };
}

/**
 * s3rver answers UploadPart once the body has passed through its hashing stream, before the part file is written to
 * its end, so a CompleteMultipartUpload right after it can assemble a short part (seen under load: 6 of 11 MiB
 * stored, a 6 MiB upload read back different). S3 answers a part only once it is stored: the part is read whole and
 * written before the answer.
 */
function makeUploadPartDurable(s3rver: S3rverInstance): void {
  const store = s3rver.store;
  store.putPart = async (bucket, uploadId, partNumber, content) => {
    const chunks: Buffer[] = [];
    for await (const chunk of content) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    const body = Buffer.concat(chunks);
    const partPath = join(store.getResourcePath(bucket, undefined, "uploads"), uploadId, String(partNumber));
    mkdirSync(dirname(partPath), { recursive: true });
    await writeFile(partPath, body);
    const md5 = createHash("md5").update(body).digest("hex");
    await writeFile(`${partPath}.md5`, md5);
    return { size: body.length, md5 };
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
      .map((part) =>
        createHash("md5")
          .update(readFileSync(join(uploadDir, String(part.number))))
          .digest(),
      );
    const result = await complete(bucket, uploadId, parts);
    const etag = `${createHash("md5").update(Buffer.concat(digests)).digest("hex")}-${digests.length}`;
    writeFileSync(store.getResourcePath(bucket, key, "object.md5"), etag);
    return { ...result, md5: etag };
  };
}

/** The suite's S3 server: s3rver (default) or, with TARGET_S3_TEST_S3=ceph, the run's Ceph RADOS Gateway. */
export async function startS3Server(): Promise<S3TestServer> {
  return ceph ? connectCeph(ceph) : startS3rver();
}

async function startS3rver(): Promise<S3TestServer> {
  const directory = mkdtempSync(join(tmpdir(), "target-s3-s3rver-"));
  const s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory });
  makePutObjectAtomic(s3rver);
  makeUploadPartDurable(s3rver);
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
    kind: "s3rver",
    endpoint,
    port: address.port,
    directory,
    client,
    ...clientOperations(client),
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

/** A server object for the Ceph RADOS Gateway of the run; close() only drops the client (the cluster outlives it). */
function connectCeph(cluster: CephS3): S3TestServer {
  const client = makeS3Client(cluster.endpoint);
  return {
    kind: "ceph",
    endpoint: cluster.endpoint,
    port: Number(new URL(cluster.endpoint).port),
    directory: cluster.dir,
    client,
    ...clientOperations(client),
    allowAccessKey(accessKeyId: string, secretAccessKey?: string): void {
      if (secretAccessKey === undefined) throw new Error("allowAccessKey on Ceph needs the secret too (it verifies signatures)");
      cephAddKey(cluster, accessKeyId, secretAccessKey);
    },
    close(): Promise<void> {
      client.destroy();
      return Promise.resolve();
    },
  };
}

type ClientOperations = Pick<S3TestServer, "createBucket" | "listObjects" | "getObject" | "openUploads">;

function clientOperations(client: S3Client): ClientOperations {
  const ops: ClientOperations = {
    async createBucket(name?: string): Promise<string> {
      const bucket = name ?? randomBucketName();
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      createdBuckets.add({ bucket, openUploads: () => ops.openUploads(bucket) });
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

    async openUploads(bucket: string, prefix?: string): Promise<OpenUpload[]> {
      const out: OpenUpload[] = [];
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      for (;;) {
        const page: ListMultipartUploadsCommandOutput = await client.send(
          new ListMultipartUploadsCommand({
            Bucket: bucket,
            ...(prefix !== undefined ? { Prefix: prefix } : {}),
            ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
            ...(uploadIdMarker !== undefined ? { UploadIdMarker: uploadIdMarker } : {}),
          }),
        );
        for (const u of page.Uploads ?? []) out.push({ key: u.Key ?? "", uploadId: u.UploadId ?? "" });
        if (!page.IsTruncated) break;
        keyMarker = page.NextKeyMarker;
        uploadIdMarker = page.NextUploadIdMarker;
      }
      return out;
    },
  };
  return ops;
}

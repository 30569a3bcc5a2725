import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";

/** An `s3://bucket/key` URL split into its parts; undefined when it is not one. */
export function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  return m ? { bucket: m[1] ?? "", key: decodeURIComponent(m[2] ?? "") } : undefined;
}

/** The body of an object as a stream (GetObject with the run's client: its credentials and endpoint). */
export async function openObject(client: S3Client, bucket: string, key: string, signal: AbortSignal): Promise<Readable> {
  const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
  const body = answer.Body;
  if (body instanceof Readable) return body;
  if (body && typeof (body as { transformToWebStream?: unknown }).transformToWebStream === "function") {
    return Readable.fromWeb((body as { transformToWebStream: () => import("node:stream/web").ReadableStream }).transformToWebStream());
  }
  throw new Error(`GetObject of s3://${bucket}/${key} returned no body`);
}

/** Copies an object to a local file (formats that need random access, such as Parquet). */
export async function downloadObject(client: S3Client, bucket: string, key: string, path: string, signal: AbortSignal): Promise<void> {
  await pipeline(await openObject(client, bucket, key, signal), createWriteStream(path), { signal });
}

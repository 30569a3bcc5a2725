// An HTTP proxy on 127.0.0.1 in front of the local S3 server: records every request and injects faults per rule.
// Point the target's `aws_endpoint` at `proxy.endpoint`. The Host header is forwarded unchanged, so SigV4
// signatures made for the proxy's address still verify at s3rver.
import { randomBytes } from "node:crypto";
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type S3Operation =
  | "ListBuckets"
  | "CreateBucket"
  | "DeleteBucket"
  | "HeadBucket"
  | "GetBucketLocation"
  | "ListObjects"
  | "ListObjectsV2"
  | "ListMultipartUploads"
  | "DeleteObjects"
  | "PutObject"
  | "CopyObject"
  | "GetObject"
  | "HeadObject"
  | "DeleteObject"
  | "PutObjectTagging"
  | "GetObjectTagging"
  | "CreateMultipartUpload"
  | "UploadPart"
  | "UploadPartCopy"
  | "CompleteMultipartUpload"
  | "AbortMultipartUpload"
  | "ListParts"
  | "Other";

/** What a rule's `match` sees: known before the request body is read. */
export interface ProxyRequestInfo {
  /** 0-based arrival order. */
  index: number;
  method: string;
  /** Path and query as received, e.g. `/bucket/a/b.csv?uploadId=...&partNumber=2`. */
  url: string;
  /** Decoded bucket (path style) or undefined for service-level requests. */
  bucket: string | undefined;
  /** Decoded object key, undefined for bucket-level requests. */
  key: string | undefined;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  operation: S3Operation;
}

export type FaultAction = "status500" | "slowdown503" | "status403" | "status405" | "status412" | "status501" | "reset" | "delay" | "dropResponse";

export interface RecordedRequest extends ProxyRequestInfo {
  /** Bytes of request body received from the client (final once the request is complete). */
  bodyLength: number;
  /** Status sent to the client (undefined when the connection was reset / dropped, or not answered yet). */
  status: number | undefined;
  /** Status the upstream server answered with, when the request was forwarded. */
  upstreamStatus: number | undefined;
  /** The fault injected into this request, and which rule (index in the current rules) did it. */
  fault: FaultAction | undefined;
  ruleIndex: number | undefined;
  /** Set when forwarding failed or the client went away. */
  error: string | undefined;
  startedAt: number;
  endedAt: number | undefined;
}

interface RuleBase {
  /** Which requests the rule applies to (default: all). */
  match?: (req: ProxyRequestInfo) => boolean;
  /** Apply at most this many times (default: unlimited). */
  times?: number;
  /** Let this many matching requests pass before applying (default 0). */
  skip?: number;
  /** Apply to a matching request with this probability, drawn from the proxy's seeded RNG (default 1). */
  probability?: number;
}

export type FaultRule =
  | (RuleBase & {
      /**
       * status500 / slowdown503 / status403 / status405 / status412 / status501: the request body is read, then answered
       * with that status and an S3 XML error body (InternalError / SlowDown / AccessDenied / MethodNotAllowed /
       * PreconditionFailed / NotImplemented); nothing reaches the server. status412 and status501 match what a store
       * says to `If-None-Match: *` when the key is taken / when it does not implement the header.
       * dropResponse: forwarded, the server's full answer is read, then the client connection is destroyed instead
       * (the operation happened but the client cannot know: e.g. a CompleteMultipartUpload).
       */
      action: "status500" | "slowdown503" | "status403" | "status405" | "status412" | "status501" | "dropResponse";
    })
  | (RuleBase & {
      /**
       * "request" (default): the connection is destroyed after the first chunk of the request body (or at once when
       * there is none); nothing reaches the server. "response": forwarded, then the client gets the status line,
       * headers and half the body before the connection is destroyed (a server answer with an empty body is
       * dropped entirely, as dropResponse).
       */
      action: "reset";
      phase?: "request" | "response";
    })
  | (RuleBase & {
      /** Waits ms before forwarding (the client sees a slow answer; long enough, a timeout). */
      action: "delay";
      ms: number;
    });

export interface FaultProxyOptions {
  /** Seed of the RNG used for `probability` (default 1). */
  seed?: number;
}

export interface FaultProxy {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly port: number;
  /** Every request received, in arrival order (live objects: fields fill in as requests complete). */
  readonly requests: RecordedRequest[];
  /** Replaces the rules (and their counters); optionally reseeds the RNG. */
  setRules(rules: FaultRule[], seed?: number): void;
  /** Empties `requests`. */
  clearRequests(): void;
  /** How many times each current rule has been applied. */
  ruleHits(): number[];
  /** Requests of one operation, e.g. `proxy.byOperation("UploadPart")`. */
  byOperation(op: S3Operation): RecordedRequest[];
  close(): Promise<void>;
}

/** Mulberry32: small, fast, seeded. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Classifies a path-style S3 request. */
export function classifyS3Request(method: string, url: string, headers: IncomingHttpHeaders): Pick<ProxyRequestInfo, "bucket" | "key" | "query" | "operation"> {
  const q = url.indexOf("?");
  const path = q >= 0 ? url.slice(0, q) : url;
  const query = new URLSearchParams(q >= 0 ? url.slice(q + 1) : "");
  const slash = path.indexOf("/", 1);
  const bucketPart = slash >= 0 ? path.slice(1, slash) : path.slice(1);
  const keyPart = slash >= 0 ? path.slice(slash + 1) : "";
  const bucket = bucketPart === "" ? undefined : safeDecode(bucketPart);
  const key = keyPart === "" ? undefined : safeDecode(keyPart);
  const has = (name: string) => query.has(name);
  const m = method.toUpperCase();
  let operation: S3Operation = "Other";
  if (bucket === undefined) {
    if (m === "GET") operation = "ListBuckets";
  } else if (key === undefined) {
    if (m === "PUT" && [...query.keys()].length === 0) operation = "CreateBucket";
    else if (m === "DELETE") operation = "DeleteBucket";
    else if (m === "HEAD") operation = "HeadBucket";
    else if (m === "POST" && has("delete")) operation = "DeleteObjects";
    else if (m === "GET") {
      if (has("uploads")) operation = "ListMultipartUploads";
      else if (has("location")) operation = "GetBucketLocation";
      else if (query.get("list-type") === "2") operation = "ListObjectsV2";
      else if ([...query.keys()].every((k) => ["prefix", "delimiter", "marker", "max-keys", "encoding-type"].includes(k))) operation = "ListObjects";
    }
  } else if (m === "PUT") {
    if (has("uploadId") && has("partNumber")) operation = headers["x-amz-copy-source"] !== undefined ? "UploadPartCopy" : "UploadPart";
    else if (has("tagging")) operation = "PutObjectTagging";
    else if (headers["x-amz-copy-source"] !== undefined) operation = "CopyObject";
    else operation = "PutObject";
  } else if (m === "POST") {
    if (has("uploads")) operation = "CreateMultipartUpload";
    else if (has("uploadId")) operation = "CompleteMultipartUpload";
  } else if (m === "DELETE") {
    operation = has("uploadId") ? "AbortMultipartUpload" : "DeleteObject";
  } else if (m === "GET") {
    if (has("uploadId")) operation = "ListParts";
    else if (has("tagging")) operation = "GetObjectTagging";
    else operation = "GetObject";
  } else if (m === "HEAD") {
    operation = "HeadObject";
  }
  return { bucket, key, query, operation };
}

type ErrorAction = "status500" | "slowdown503" | "status403" | "status405" | "status412" | "status501";

const ERRORS: Record<ErrorAction, [number, string, string]> = {
  status500: [500, "InternalError", "We encountered an internal error. Please try again."],
  slowdown503: [503, "SlowDown", "Please reduce your request rate."],
  status403: [403, "AccessDenied", "Access Denied"],
  status405: [405, "MethodNotAllowed", "The specified method is not allowed against this resource."],
  status412: [412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"],
  status501: [501, "NotImplemented", "A header you provided implies functionality that is not implemented"],
};

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An S3 error document, as S3 sends it. */
export function s3ErrorXml(code: string, message: string, resource: string, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message>` +
    `<Resource>${xmlEscape(resource)}</Resource><RequestId>${requestId}</RequestId>` +
    `<HostId>${Buffer.from(requestId).toString("base64")}</HostId></Error>`
  );
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "expect"]);

function forwardableHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  }
  return out;
}

function bodyOf(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (req.readableEnded) return resolve();
    req.on("end", resolve);
    req.on("error", () => resolve());
    req.on("close", () => resolve());
    req.resume();
  });
}

export async function startFaultProxy(targetEndpoint: string, rules: FaultRule[] = [], options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const target = new URL(targetEndpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const requests: RecordedRequest[] = [];
  let currentRules = rules;
  let hits = rules.map(() => 0);
  let seen = rules.map(() => 0);
  let random = seededRandom(options.seed ?? 1);
  let counter = 0;
  const sockets = new Set<Socket>();

  const pickRule = (info: ProxyRequestInfo): { rule: FaultRule; index: number } | undefined => {
    for (let i = 0; i < currentRules.length; i++) {
      const rule = currentRules[i]!;
      if (rule.match && !rule.match(info)) continue;
      if (rule.times !== undefined && hits[i]! >= rule.times) continue;
      seen[i] = seen[i]! + 1;
      if (rule.skip !== undefined && seen[i]! <= rule.skip) continue;
      if (rule.probability !== undefined && random() >= rule.probability) continue;
      hits[i] = hits[i]! + 1;
      return { rule, index: i };
    }
    return undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const info: ProxyRequestInfo = {
      index: counter++,
      method,
      url,
      headers: req.headers,
      ...classifyS3Request(method, url, req.headers),
    };
    const rec: RecordedRequest = {
      ...info,
      bodyLength: 0,
      status: undefined,
      upstreamStatus: undefined,
      fault: undefined,
      ruleIndex: undefined,
      error: undefined,
      startedAt: Date.now(),
      endedAt: undefined,
    };
    requests.push(rec);
    // Counting starts when the body is consumed (a 'data' listener makes the stream flow: not during a delay).
    let counting = false;
    const countBody = () => {
      if (counting) return;
      counting = true;
      req.on("data", (chunk: Buffer) => {
        rec.bodyLength += chunk.length;
      });
    };
    res.on("finish", () => {
      rec.status = res.statusCode;
      rec.endedAt = Date.now();
    });
    res.on("close", () => {
      rec.endedAt ??= Date.now();
    });

    const picked = pickRule(info);
    if (picked) {
      rec.fault = picked.rule.action;
      rec.ruleIndex = picked.index;
    }
    const rule = picked?.rule;
    const requestId = randomBytes(8).toString("hex").toUpperCase();
    const resource = url.split("?")[0] ?? url;

    if (rule?.action === "delay") {
      await new Promise((r) => setTimeout(r, rule.ms));
      if (res.destroyed) return;
    }

    if (rule && rule.action in ERRORS) {
      countBody();
      await bodyOf(req);
      const [status, code, message] = ERRORS[rule.action as ErrorAction];
      const body = method === "HEAD" ? "" : s3ErrorXml(code, message, resource, requestId);
      res.writeHead(status, {
        "content-type": "application/xml",
        "content-length": Buffer.byteLength(body),
        "x-amz-request-id": requestId,
        ...(rule.action === "slowdown503" ? { "retry-after": "0" } : {}),
      });
      res.end(body);
      return;
    }

    if (rule?.action === "reset" && (rule.phase ?? "request") === "request") {
      const kill = () => {
        rec.error = "reset by fault rule (request)";
        req.socket.destroy();
      };
      countBody();
      const declaredLength = Number(req.headers["content-length"] ?? "0");
      if (declaredLength > 0 || req.headers["transfer-encoding"] !== undefined) {
        req.once("data", kill);
        req.once("end", kill);
      } else {
        kill();
      }
      return;
    }

    // Forward upstream.
    const upstream = httpRequest({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method,
      path: url,
      headers: forwardableHeaders(req.headers),
      agent,
    });
    const fail = (message: string) => {
      rec.error ??= message;
      if (!res.headersSent && !res.destroyed) {
        const body = method === "HEAD" ? "" : s3ErrorXml("BadGateway", message, resource, requestId);
        res.writeHead(502, { "content-type": "application/xml", "content-length": Buffer.byteLength(body) });
        res.end(body);
      } else {
        res.destroy();
      }
    };
    upstream.on("error", (err) => fail(`upstream error: ${err.message}`));
    res.on("close", () => {
      if (!res.writableFinished) {
        rec.error ??= "client connection closed before the answer was sent";
        upstream.destroy();
      }
    });
    req.on("aborted", () => upstream.destroy());
    countBody();
    req.pipe(upstream);

    upstream.on("response", (up) => {
      rec.upstreamStatus = up.statusCode;
      const headers = forwardableHeaders(up.headers);
      const dropAll = rule?.action === "dropResponse";
      const resetMid = rule?.action === "reset";
      if (!dropAll && !resetMid) {
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
        up.on("error", () => res.destroy());
        return;
      }
      const chunks: Buffer[] = [];
      up.on("data", (c: Buffer) => chunks.push(c));
      up.on("error", () => res.destroy());
      up.on("end", () => {
        const body = Buffer.concat(chunks);
        if (dropAll || body.length < 2) {
          rec.error = `response dropped by fault rule (${rule.action})`;
          req.socket.destroy();
          return;
        }
        rec.error = "reset by fault rule (response)";
        res.writeHead(up.statusCode ?? 502, { ...headers, "content-length": body.length });
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => {
          // Give the bytes a moment on the wire, then cut the connection.
          setTimeout(() => req.socket.destroy(), 10);
        });
      });
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`fault-proxy internal error: ${message}`);
      } else res.destroy();
    });
  });
  // Long keep-alive so idle sockets are not closed under a client about to reuse them (which looks like a fault).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  server.requestTimeout = 0;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("clientError", (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closed = false;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    requests,
    setRules(next: FaultRule[], seed?: number) {
      currentRules = next;
      hits = next.map(() => 0);
      seen = next.map(() => 0);
      if (seed !== undefined) random = seededRandom(seed);
    },
    clearRequests() {
      requests.length = 0;
    },
    ruleHits() {
      return [...hits];
    },
    byOperation(op: S3Operation) {
      return requests.filter((r) => r.operation === op);
    },
    async close() {
      if (closed) return;
      closed = true;
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      agent.destroy();
      await closing;
    },
  };
}

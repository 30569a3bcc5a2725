// A local HTTP endpoint that answers STS AssumeRole and GetCallerIdentity like STS does (Query protocol:
// form-encoded POST with Action=..., XML answers in the 2011-06-15 namespace). It does not verify signatures;
// it records what it received, including the access key id from the Authorization header.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo, Socket } from "node:net";

const NS = "https://sts.amazonaws.com/doc/2011-06-15/";

export interface StsCall {
  action: string;
  /** Every form parameter received (Action, Version, RoleArn, RoleSessionName, ExternalId, DurationSeconds, ...). */
  params: Record<string, string>;
  roleArn: string | undefined;
  externalId: string | undefined;
  roleSessionName: string | undefined;
  durationSeconds: number | undefined;
  /** The access key id in the SigV4 Authorization header (`Credential=AKID/...`). */
  accessKeyId: string | undefined;
  /** x-amz-security-token, when the caller signed with temporary credentials. */
  sessionToken: string | undefined;
  headers: IncomingHttpHeaders;
  /** The status code answered. */
  status: number;
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  roleArn: string;
  roleSessionName: string;
  account: string;
}

export type StsFailure = {
  /** Which action fails (default: every action). */
  action?: "AssumeRole" | "GetCallerIdentity";
  /** STS error code (default AccessDenied) and HTTP status (default 403). */
  code?: string;
  status?: number;
  message?: string;
  /** Fail this many times, then answer normally again (default: always). */
  times?: number;
};

export interface FakeStsOptions {
  /**
   * Account of the caller's own identity (GetCallerIdentity with keys not issued here), and of the assumed identity
   * when the RoleArn carries no account. Default "123456789012".
   */
  accountId?: string;
  /** Overrides the account reported for assumed-role identities (default: the account in the RoleArn). */
  assumedAccountId?: string;
  /** Expiration of issued credentials: a fixed date, or a function of the call (default: now + DurationSeconds, 3600). */
  expiration?: Date | ((call: StsCall) => Date);
  /** When set, AssumeRole without exactly this ExternalId is AccessDenied (as a trust policy with sts:ExternalId). */
  requiredExternalId?: string;
  /** Failure mode from the start (see setFailure). */
  failure?: StsFailure;
  /** Called for every set of credentials issued, e.g. `(c) => s3.allowAccessKey(c.accessKeyId)`. */
  onIssue?: (credentials: IssuedCredentials) => void;
}

export interface FakeSts {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly calls: StsCall[];
  readonly issued: IssuedCredentials[];
  assumeRoleCalls(): StsCall[];
  /** Makes actions fail (AccessDenied by default); null restores normal answers. */
  setFailure(failure: StsFailure | null): void;
  setOptions(options: { [K in keyof FakeStsOptions]?: FakeStsOptions[K] | undefined }): void;
  close(): Promise<void>;
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function accessKeyIdOf(authorization: string | undefined): string | undefined {
  const m = /Credential=([^/,\s]+)\//.exec(authorization ?? "");
  return m?.[1];
}

function accountOfArn(arn: string): string | undefined {
  const parts = arn.split(":");
  return parts[4] !== undefined && /^\d{12}$/.test(parts[4]) ? parts[4] : undefined;
}

function roleNameOfArn(arn: string): string {
  const resource = arn.split(":").slice(5).join(":");
  const name = resource.startsWith("role/") ? resource.slice("role/".length) : resource;
  return name.split("/").pop() || "role";
}

function errorXml(code: string, message: string, requestId: string, type = "Sender"): string {
  return (
    `<ErrorResponse xmlns="${NS}">\n` +
    `  <Error>\n    <Type>${type}</Type>\n    <Code>${xmlEscape(code)}</Code>\n` +
    `    <Message>${xmlEscape(message)}</Message>\n  </Error>\n` +
    `  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`
  );
}

function requestId(): string {
  const h = randomBytes(16).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export async function startFakeSts(initial: FakeStsOptions = {}): Promise<FakeSts> {
  let options: FakeStsOptions = { ...initial };
  let failure: StsFailure | null = initial.failure ?? null;
  let failuresLeft = failure?.times;
  const calls: StsCall[] = [];
  const issued: IssuedCredentials[] = [];
  const sockets = new Set<Socket>();
  let serial = 0;

  const baseAccount = () => options.accountId ?? "123456789012";

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const url = new URL(req.url ?? "/", "http://localhost");
      // Query protocol: parameters in the form body (POST) or the query string (GET).
      const form = new URLSearchParams(req.method === "POST" ? body : url.search);
      const params: Record<string, string> = {};
      for (const [k, v] of form) params[k] = v;
      const authorization = req.headers.authorization;
      const token = req.headers["x-amz-security-token"];
      const duration = params.DurationSeconds;
      const call: StsCall = {
        action: params.Action ?? "",
        params,
        roleArn: params.RoleArn,
        externalId: params.ExternalId,
        roleSessionName: params.RoleSessionName,
        durationSeconds: duration !== undefined ? Number(duration) : undefined,
        accessKeyId: accessKeyIdOf(typeof authorization === "string" ? authorization : undefined),
        sessionToken: typeof token === "string" ? token : undefined,
        headers: req.headers,
        status: 200,
      };
      calls.push(call);
      const rid = requestId();
      const send = (status: number, xml: string) => {
        call.status = status;
        res.writeHead(status, {
          "content-type": "text/xml",
          "content-length": Buffer.byteLength(xml),
          "x-amzn-requestid": rid,
        });
        res.end(xml);
      };

      if (failure && (failure.action === undefined || failure.action === call.action)) {
        if (failuresLeft === undefined || failuresLeft > 0) {
          if (failuresLeft !== undefined) failuresLeft -= 1;
          const code = failure.code ?? "AccessDenied";
          const message =
            failure.message ??
            (call.action === "AssumeRole"
              ? `User: arn:aws:iam::${baseAccount()}:user/test is not authorized to perform: sts:AssumeRole on resource: ${call.roleArn ?? ""}`
              : `User is not authorized to perform: sts:${call.action}`);
          send(failure.status ?? 403, errorXml(code, message, rid, (failure.status ?? 403) >= 500 ? "Receiver" : "Sender"));
          return;
        }
      }

      if (call.action === "AssumeRole") {
        const roleArn = call.roleArn;
        const sessionName = call.roleSessionName;
        if (!roleArn || !sessionName) {
          send(400, errorXml("MissingParameter", `The request must contain the parameter ${!roleArn ? "RoleArn" : "RoleSessionName"}.`, rid));
          return;
        }
        if (options.requiredExternalId !== undefined && call.externalId !== options.requiredExternalId) {
          send(
            403,
            errorXml("AccessDenied", `User: arn:aws:iam::${baseAccount()}:user/test is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, rid),
          );
          return;
        }
        const account = options.assumedAccountId ?? accountOfArn(roleArn) ?? baseAccount();
        const roleName = roleNameOfArn(roleArn);
        serial += 1;
        const n = String(serial).padStart(6, "0");
        const expiration =
          typeof options.expiration === "function"
            ? options.expiration(call)
            : (options.expiration ?? new Date(Date.now() + (call.durationSeconds ?? 3600) * 1000));
        const creds: IssuedCredentials = {
          accessKeyId: `ASIAFAKESTS${String(serial).padStart(9, "0")}`,
          secretAccessKey: `fake-sts-secret-${n}-${randomBytes(8).toString("hex")}`,
          sessionToken: `FakeStsSessionToken${n}${randomBytes(24).toString("base64url")}`,
          expiration,
          roleArn,
          roleSessionName: sessionName,
          account,
        };
        issued.push(creds);
        options.onIssue?.(creds);
        const roleId = `AROAFAKE${n}`;
        send(
          200,
          `<AssumeRoleResponse xmlns="${NS}">\n` +
            `  <AssumeRoleResult>\n` +
            `    <AssumedRoleUser>\n` +
            `      <Arn>arn:aws:sts::${account}:assumed-role/${xmlEscape(roleName)}/${xmlEscape(sessionName)}</Arn>\n` +
            `      <AssumedRoleId>${roleId}:${xmlEscape(sessionName)}</AssumedRoleId>\n` +
            `    </AssumedRoleUser>\n` +
            `    <Credentials>\n` +
            `      <AccessKeyId>${creds.accessKeyId}</AccessKeyId>\n` +
            `      <SecretAccessKey>${creds.secretAccessKey}</SecretAccessKey>\n` +
            `      <SessionToken>${creds.sessionToken}</SessionToken>\n` +
            `      <Expiration>${expiration.toISOString()}</Expiration>\n` +
            `    </Credentials>\n` +
            `    <PackedPolicySize>6</PackedPolicySize>\n` +
            `  </AssumeRoleResult>\n` +
            `  <ResponseMetadata>\n    <RequestId>${rid}</RequestId>\n  </ResponseMetadata>\n` +
            `</AssumeRoleResponse>\n`,
        );
        return;
      }

      if (call.action === "GetCallerIdentity") {
        const mine = issued.find((c) => c.accessKeyId === call.accessKeyId);
        let arn: string;
        let userId: string;
        let account: string;
        if (mine) {
          account = mine.account;
          arn = `arn:aws:sts::${account}:assumed-role/${roleNameOfArn(mine.roleArn)}/${mine.roleSessionName}`;
          userId = `AROAFAKE${mine.accessKeyId.slice(-6)}:${mine.roleSessionName}`; // same id as AssumedRoleId
        } else {
          account = baseAccount();
          arn = `arn:aws:iam::${account}:user/test`;
          userId = "AIDAFAKESTSUSER00001";
        }
        send(
          200,
          `<GetCallerIdentityResponse xmlns="${NS}">\n` +
            `  <GetCallerIdentityResult>\n` +
            `    <Arn>${xmlEscape(arn)}</Arn>\n` +
            `    <UserId>${xmlEscape(userId)}</UserId>\n` +
            `    <Account>${account}</Account>\n` +
            `  </GetCallerIdentityResult>\n` +
            `  <ResponseMetadata>\n    <RequestId>${rid}</RequestId>\n  </ResponseMetadata>\n` +
            `</GetCallerIdentityResponse>\n`,
        );
        return;
      }

      send(400, errorXml("InvalidAction", `Could not find operation ${call.action} for version ${params.Version ?? ""}`, rid));
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closed = false;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    issued,
    assumeRoleCalls: () => calls.filter((c) => c.action === "AssumeRole"),
    setFailure(next: StsFailure | null) {
      failure = next;
      failuresLeft = next?.times;
    },
    setOptions(next: { [K in keyof FakeStsOptions]?: FakeStsOptions[K] | undefined }) {
      // A key given as undefined goes back to the default.
      options = Object.fromEntries(Object.entries({ ...options, ...next }).filter(([, v]) => v !== undefined));
    },
    async close() {
      if (closed) return;
      closed = true;
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closing;
    },
  };
}

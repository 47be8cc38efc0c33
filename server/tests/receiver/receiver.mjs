// The webhook receiver the tests run: every request is verified with the Standard Webhooks
// reference library (`standardwebhooks` from npm, code this project did not write), against
// each secret the test registered, and logged for the test to read.
//
//   POST /_control {secrets?, fail?, status?, location?, hang?, delayMs?, replyBody?, replyBinary?}
//                                                                 set up what comes next
//   GET  /_log                                                    every request so far
//   anything else                                                 a webhook: verified, logged
//
// It prints {"port": N} on its first line of standard output.
import http from "node:http";
import { Webhook } from "standardwebhooks";

let secrets = [];
let fail = 0;
let failStatus = 500;
let hang = false;
let delayMs = 0;
let location = null;
let replyBody = "ok";
let replyBinary = false;
const log = [];

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

const server = http.createServer(async (req, res) => {
  const body = await readBody(req);
  if (req.url === "/_control" && req.method === "POST") {
    const c = JSON.parse(body || "{}");
    if (c.secrets !== undefined) secrets = c.secrets;
    if (c.fail !== undefined) fail = c.fail;
    if (c.status !== undefined) failStatus = c.status;
    if (c.hang !== undefined) hang = c.hang;
    if (c.delayMs !== undefined) delayMs = c.delayMs;
    if (c.location !== undefined) location = c.location;
    if (c.replyBody !== undefined) replyBody = c.replyBody;
    if (c.replyBinary !== undefined) replyBinary = c.replyBinary;
    res.writeHead(204).end();
    return;
  }
  if (req.url === "/_log" && req.method === "GET") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(log));
    return;
  }
  const start = Date.now();
  const verifiedBy = [];
  const errors = [];
  secrets.forEach((secret, i) => {
    try {
      new Webhook(secret).verify(body, req.headers);
      verifiedBy.push(i);
    } catch (e) {
      errors.push(`${i}: ${e.message}`);
    }
  });
  let parsed = null;
  try {
    parsed = JSON.parse(body);
  } catch {}
  const entry = {
    path: req.url,
    method: req.method,
    id: req.headers["webhook-id"] ?? null,
    timestamp: req.headers["webhook-timestamp"] ?? null,
    signature: req.headers["webhook-signature"] ?? null,
    contentType: req.headers["content-type"] ?? null,
    type: parsed?.type ?? null,
    payload: parsed,
    body,
    verifiedBy,
    errors,
    start,
    end: null,
    answered: null,
  };
  log.push(entry);
  if (hang) return; // never answers: the sender is cut off (or killed) mid-delivery
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  let status = 200;
  let text = replyBinary ? Buffer.from([0, 1, 2, 0xff, 0xfe, 0, 10, 65, 0]) : replyBody;
  const headers = { "content-type": replyBinary ? "application/octet-stream" : "text/plain" };
  if (fail > 0) {
    fail -= 1;
    status = failStatus;
    text = `receiver is down (${status})`;
    if (location) headers.location = location;
  }
  entry.end = Date.now();
  entry.answered = status;
  res.writeHead(status, headers).end(text);
});

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});

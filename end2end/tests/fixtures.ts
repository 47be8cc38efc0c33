// Test harness: a fresh `licenseshipper serve` per test, with its own SQLite file and master
// key, logging at debug level into test-results/server-logs (searched for secrets afterwards).
import { test as base, expect, type Page, type APIRequestContext } from "@playwright/test";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..", "..");
const bin = process.env.LS_BIN ?? path.join(root, "target", "debug", "licenseshipper");
const siteRoot = process.env.LS_SITE_ROOT ?? path.join(root, "dist");
export const logDir = path.join(__dirname, "..", "test-results", "server-logs");
/** Every secret, token and password a test used, for the no-secrets-in-logs check. */
export const secretsFile = path.join(logDir, "secrets.txt");

export type Server = { url: string; port: number; proc: ChildProcess; logFile: string; dir: string };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export async function startServer(name: string, extraEnv: Record<string, string> = {}): Promise<Server> {
  fs.mkdirSync(logDir, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ls-e2e-"));
  const port = await freePort();
  const logFile = path.join(logDir, `${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 80)}-${port}.log`);
  const out = fs.openSync(logFile, "w");
  const proc = spawn(bin, ["serve"], {
    env: {
      ...process.env,
      LS_LISTEN: `127.0.0.1:${port}`,
      LS_SITE_ROOT: siteRoot,
      DATABASE_URL: `sqlite://${dir}/e2e.db?mode=rwc`,
      LS_MASTER_KEY_FILE: `${dir}/master.key`,
      LS_LOG: "debug",
      ...extraEnv,
    },
    stdio: ["ignore", out, out],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) {
      throw new Error(`server exited (${proc.exitCode}): ${fs.readFileSync(logFile, "utf8")}`);
    }
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error("server did not become healthy");
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, port, proc, logFile, dir };
}

export async function stopServer(server: Server) {
  if (server.proc.exitCode === null) {
    const exited = new Promise((r) => server.proc.once("exit", r));
    server.proc.kill("SIGTERM");
    await exited;
  }
  fs.rmSync(server.dir, { recursive: true, force: true });
}

export function rememberSecret(value: string) {
  fs.mkdirSync(logDir, { recursive: true });
  fs.appendFileSync(secretsFile, value + "\n");
}

export const ADMIN = { email: "ann@example.com", name: "Ann Admin", password: "correct horse battery staple" };
rememberSecret(ADMIN.password);

type Fixtures = { serverEnv: Record<string, string>; server: Server; consoleErrors: string[]; admin: typeof ADMIN };

export const test = base.extend<Fixtures>({
  /** Extra environment for the test's server (`test.use({ serverEnv: {...} })`). */
  serverEnv: [{}, { option: true }],
  server: async ({ serverEnv }, use, testInfo) => {
    const server = await startServer(testInfo.titlePath.slice(1).join(" "), serverEnv);
    await use(server);
    await stopServer(server);
  },
  baseURL: async ({ server }, use) => use(server.url),
  consoleErrors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    await use(errors);
  },
  /** An admin created through the API, signed in for the page's browser context. */
  admin: async ({ page }, use) => {
    const res = await page.request.post("/api/v1/auth.setup", { data: ADMIN });
    expect(res.status()).toBe(200);
    await use(ADMIN);
  },
});

/** Creates a key through the API with the page's session; returns the created key. */
export async function createKey(
  request: APIRequestContext,
  data: { name: string; project?: string; scopes?: string[]; recoverable?: boolean; expires_at?: string | null },
) {
  const res = await request.post("/api/v1/keys.create", { data });
  expect(res.status(), await res.text()).toBe(200);
  const body = await res.json();
  rememberSecret(body.secret);
  return body as { key: { id: string; name: string }; secret: string };
}

export async function captureSessionCookie(page: Page) {
  const cookies = await page.context().cookies();
  for (const c of cookies) if (c.name === "ls_session") rememberSecret(c.value);
}

export { expect };

/** A numeric constant of the API's types (`app/src/api/types.rs`), where it is defined once. */
export function rustConst(name: string): number {
  const source = fs.readFileSync(path.join(root, "app", "src", "api", "types.rs"), "utf8");
  const found = new RegExp(`pub const ${name}: \\w+ = ([\\d_]+);`).exec(source);
  if (!found) throw new Error(`no constant ${name} in app/src/api/types.rs`);
  return Number(found[1].replace(/_/g, ""));
}

/** Adds `count` keys to the server's database in one statement (`server/examples/seed_keys.rs`,
 * built by `make e2e`): named "{word} {shop|site|store} {n}", created by `creator`. */
export function seedKeys(server: Server, count: number, word: string, creator: string) {
  const seeder = path.join(root, "target", "debug", "examples", "seed_keys");
  execFileSync(seeder, [`sqlite://${server.dir}/e2e.db`, String(count), word, creator], { stdio: "inherit" });
}

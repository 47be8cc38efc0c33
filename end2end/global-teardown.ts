import * as fs from "node:fs";
import * as path from "node:path";
import { logDir, secretsFile } from "./tests/fixtures";

// The servers ran at debug log level: none of the secrets, session tokens or passwords the
// tests used may appear in any of their logs.
export default function globalTeardown() {
  const secrets = fs.existsSync(secretsFile)
    ? [...new Set(fs.readFileSync(secretsFile, "utf8").split("\n").filter((s) => s.length >= 8))]
    : [];
  const logs = fs.readdirSync(logDir).filter((f) => f.endsWith(".log"));
  if (secrets.length === 0 || logs.length === 0) throw new Error("no secrets or logs were recorded");
  let bytes = 0;
  for (const file of logs) {
    const text = fs.readFileSync(path.join(logDir, file), "utf8");
    bytes += text.length;
    for (const secret of secrets) {
      if (text.includes(secret)) {
        throw new Error(`a secret (${secret.slice(0, 6)}…) appears in the server log ${file}`);
      }
    }
  }
  // (`make bench` times page loads with the server at its default level instead.)
  const timing = Boolean(process.env.LOAD_TIMING);
  if (!timing && !logs.some((f) => fs.readFileSync(path.join(logDir, f), "utf8").includes("DEBUG"))) {
    throw new Error("the servers did not log at debug level");
  }
  console.log(`secrets check: ${secrets.length} secrets absent from ${logs.length} server logs (${bytes} bytes)`);
}

import * as fs from "node:fs";
import { logDir } from "./tests/fixtures";

// Each run starts with no server logs and no remembered secrets.
export default function globalSetup() {
  fs.rmSync(logDir, { recursive: true, force: true });
  fs.mkdirSync(logDir, { recursive: true });
}

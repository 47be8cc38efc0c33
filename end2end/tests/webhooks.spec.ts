// The Webhooks page: add an endpoint (its secret shown once), send a test event the receiver
// verifies with the Standard Webhooks reference library, read the delivery log, resend,
// disable and delete. The receiver is server/tests/receiver/receiver.mjs.
import { spawn, ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";
import { test, expect, createKey, rememberSecret } from "./fixtures";
import AxeBuilder from "@axe-core/playwright";

type Receiver = { url: string; proc: ChildProcess };

async function startReceiver(): Promise<Receiver> {
  const dir = path.join(__dirname, "..", "..", "server", "tests", "receiver");
  const proc = spawn("node", ["receiver.mjs"], { cwd: dir, stdio: ["ignore", "pipe", "inherit"] });
  const line: string = await new Promise((resolve) => readline.createInterface({ input: proc.stdout! }).once("line", resolve));
  return { url: `http://127.0.0.1:${JSON.parse(line).port}`, proc };
}

test.use({ serverEnv: { LS_ALLOW_INSECURE_WEBHOOKS: "true", LS_ALLOW_PRIVATE_WEBHOOKS: "true" } });

test("an admin adds an endpoint, tests it, reads its deliveries, resends, disables and deletes it", async ({ page, admin }) => {
  const receiver = await startReceiver();
  try {
    const hooks = `${receiver.url}/hooks`;
    await page.goto("/keys");
    await page.getByRole("link", { name: "Webhooks" }).click();
    await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();
    await expect(page.getByText("No endpoints yet")).toBeVisible();

    // A bad URL: a clear error on the field, nothing saved.
    await page.getByLabel("Endpoint URL").fill("shop.example");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await expect(page.getByText("Enter a full URL")).toBeVisible();
    await expect(page.getByText("No endpoints yet")).toBeVisible();

    await page.getByLabel("Endpoint URL").fill(hooks);
    await page.getByLabel("Description").fill("Back office");
    await page.getByRole("checkbox", { name: /^key\.updated/ }).uncheck();
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const dialog = page.getByRole("dialog", { name: "Signing secret" });
    await expect(dialog).toBeVisible();
    const secret = (await dialog.getByLabel("New secret key").textContent())!.trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    rememberSecret(secret);
    await fetch(`${receiver.url}/_control`, { method: "POST", body: JSON.stringify({ secrets: [secret] }) });
    await dialog.getByRole("button", { name: "Done" }).click();

    const row = page.getByRole("row").filter({ hasText: hooks });
    await expect(row).toContainText("Back office");
    await expect(row).toContainText("key.created");
    await expect(row).toContainText("Active");
    await expect(row).not.toContainText("key.updated");

    // Edit: the description and the events change; the URL stays.
    await row.getByRole("button", { name: `Edit ${hooks}` }).click();
    const edit = page.getByRole("dialog", { name: "Edit endpoint" });
    await edit.getByLabel("Description").fill("Back office (EU)");
    await edit.getByRole("checkbox", { name: /^key\.updated/ }).check();
    await edit.getByRole("button", { name: "Save" }).click();
    await expect(edit).toHaveCount(0);
    await expect(row).toContainText("Back office (EU)");
    await expect(row).toContainText("All events");

    // A test event: delivered, and the reference library accepts its signature.
    await row.getByRole("button", { name: `Send test event: ${hooks}` }).click();
    await row.getByRole("button", { name: `Deliveries: ${hooks}` }).click();
    const deliveries = page.getByRole("region", { name: "Deliveries" });
    await expect(deliveries.getByRole("row").filter({ hasText: "webhook.test" })).toContainText("200");
    await expect(deliveries.getByRole("row").filter({ hasText: "webhook.test" })).toContainText("Delivered");
    let log = await (await fetch(`${receiver.url}/_log`)).json();
    expect(log).toHaveLength(1);
    expect(log[0].verifiedBy).toEqual([0]);

    // A key event, then Resend: attempt 2 of the same message.
    await createKey(page.request, { name: "Woo" });
    await expect.poll(async () => (await (await fetch(`${receiver.url}/_log`)).json()).length).toBe(2);
    await deliveries.getByRole("button", { name: "Refresh" }).click();
    const created = deliveries.getByRole("row").filter({ hasText: "key.created" });
    await expect(created).toContainText("200");
    await created.getByRole("button", { name: /^Resend key\.created/ }).click();
    await expect(deliveries.getByRole("button", { name: "Resend key.created (attempt 2)" })).toBeVisible();
    log = await (await fetch(`${receiver.url}/_log`)).json();
    expect(log).toHaveLength(3);
    expect(log[2].id).toBe(log[1].id);
    expect(log.every((e: { verifiedBy: number[] }) => e.verifiedBy[0] === 0)).toBe(true);

    // Roll: confirmed first; the new secret is shown once, and both sign for a day.
    await row.getByRole("button", { name: `Roll secret: ${hooks}` }).click();
    await page.getByRole("dialog", { name: "Roll secret?" }).getByRole("button", { name: "Roll secret" }).click();
    const rolled = page.getByRole("dialog", { name: "Signing secret" });
    const second = (await rolled.getByLabel("New secret key").textContent())!.trim();
    rememberSecret(second);
    expect(second).not.toBe(secret);
    await fetch(`${receiver.url}/_control`, { method: "POST", body: JSON.stringify({ secrets: [secret, second] }) });
    await rolled.getByRole("button", { name: "Done" }).click();
    await row.getByRole("button", { name: `Send test event: ${hooks}` }).click();
    await expect.poll(async () => (await (await fetch(`${receiver.url}/_log`)).json()).length).toBe(4);
    log = await (await fetch(`${receiver.url}/_log`)).json();
    expect(log[3].verifiedBy).toEqual([0, 1]);

    // Disabled: says so and by whom; no test events.
    await row.getByRole("button", { name: `Disable ${hooks}` }).click();
    await expect(row).toContainText("Disabled by Ann Admin");
    await expect(row.getByRole("button", { name: `Send test event: ${hooks}` })).toBeDisabled();

    // Deleted, after a confirmation.
    await row.getByRole("button", { name: `Delete ${hooks}` }).click();
    const confirm = page.getByRole("dialog", { name: "Delete endpoint?" });
    await confirm.getByRole("button", { name: "Delete" }).click();
    await expect(page.getByText("No endpoints yet")).toBeVisible();

    const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
    expect(results.violations, JSON.stringify(results.violations, null, 2)).toEqual([]);
  } finally {
    receiver.proc.kill();
  }
});

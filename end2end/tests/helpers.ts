import { expect, type Page, type TestInfo } from "@playwright/test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The staff account the tests sign in with, from the environment. */
export function credentials(): { email: string; password: string } {
  const email = process.env.CARNET_E2E_EMAIL;
  const password = process.env.CARNET_E2E_PASSWORD;
  if (!email || !password) {
    throw new Error(
      "Set CARNET_E2E_EMAIL and CARNET_E2E_PASSWORD to the email and password of a staff user " +
        "allowed to edit contacts (the Makefile's e2e target does this).",
    );
  }
  return { email, password };
}

/**
 * After a full page load, wait until the page can be used. With JavaScript on, the app
 * hydrates first and then sets `window.__carnet_hydrated`; with it off, the server-rendered
 * page is already complete.
 */
export async function ready(page: Page, testInfo: TestInfo): Promise<void> {
  watchPolicy(page);
  if (testInfo.project.name === "js") {
    await page.waitForFunction(() => (window as any).__carnet_hydrated === true);
  }
  expect(policyViolations.get(page) ?? [], "the Content-Security-Policy refused nothing").toEqual([]);
}

/** What the browser reported refusing under the page's Content-Security-Policy. */
const policyViolations = new WeakMap<Page, string[]>();

function watchPolicy(page: Page): void {
  if (policyViolations.has(page)) return;
  const seen: string[] = [];
  policyViolations.set(page, seen);
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) {
      seen.push(message.text());
    }
  });
}

/** Open a path and wait until the page is ready to use. */
export async function visit(page: Page, testInfo: TestInfo, path: string): Promise<void> {
  watchPolicy(page);
  await page.goto(path);
  await ready(page, testInfo);
}

/** Fill in and submit the sign-in form on the current page. */
export async function submitSignIn(page: Page, email: string, password: string): Promise<void> {
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Sign in from the login page and land on the contact list. */
export async function signIn(page: Page, testInfo: TestInfo): Promise<void> {
  const { email, password } = credentials();
  await visit(page, testInfo, "/login");
  await submitSignIn(page, email, password);
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(page.getByRole("heading", { name: "Contacts", level: 1 })).toBeVisible();
}

/**
 * A token no other test run (or the other project, which shares the database) uses,
 * e.g. `js-1732400000000-k3x9q2`. Lowercase, so it reads the same in emails and searches.
 */
export function uniqueToken(testInfo: TestInfo): string {
  const random = Math.random().toString(36).slice(2, 8);
  return `${testInfo.project.name}-${Date.now()}-${random}`;
}

/** Search the contact list the way a person does: type, then press the Search button. */
export async function searchContacts(page: Page, text: string): Promise<void> {
  const search = page.getByRole("search");
  await search.getByLabel("Search", { exact: true }).fill(text);
  await search.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/\/contacts\?(.*&)?q=/);
}

/** The contact form's Email input; its label ends with an asterisk hidden from assistive tech. */
export function emailField(page: Page) {
  return page.getByRole("textbox", { name: /^Email/ });
}

/** A mail's readable text: quoted-printable and base64 parts decoded. */
function decodeMail(raw: string): string {
  let out = raw.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
  for (const m of raw.matchAll(/Content-Transfer-Encoding: base64\r\n(?:[^\r\n]+\r\n)*\r\n([A-Za-z0-9+/=\r\n]+)/g)) {
    out += "\n" + Buffer.from(m[1].replace(/\r\n/g, ""), "base64").toString("utf8");
  }
  return out;
}

/** The newest mail to `email` the sink received, waiting for the outbox's next round. */
export async function mailTo(email: string): Promise<string> {
  const dir = process.env.CARNET_E2E_MAILDIR;
  if (!dir) throw new Error("Set CARNET_E2E_MAILDIR (the Makefile's e2e target does this).");
  for (let i = 0; i < 60; i++) {
    const files = readdirSync(dir).filter((f) => f.endsWith(`-${email}.eml`)).sort();
    if (files.length > 0) return decodeMail(readFileSync(join(dir, files[files.length - 1]), "utf8"));
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no mail to ${email} within 30 s`);
}

import { expect, test, type Page } from "@playwright/test";
import { createHmac } from "node:crypto";
import { ready, signIn, submitSignIn, uniqueToken, visit } from "./helpers";

/** RFC 4648 base32, as authenticator apps read a TOTP secret. */
function base32Decode(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.replace(/[\s=]/g, "").toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    bits += v.toString(2).padStart(5, "0");
  }
  const bytes: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The code an authenticator app shows (RFC 6238: HMAC-SHA-1, 30 s, 6 digits), `ahead` steps from now. */
function totp(secret: string, ahead = 0): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + ahead));
  const mac = createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, "0");
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
}

// A new member's first day, with JavaScript on and off: an admin adds them with a
// temporary password; they choose their own, turn on two-factor sign-in with an
// authenticator app, keep their recovery codes, and sign in again with a code.
test("a new member chooses a password and signs in with two factors", async ({ page, browser }, testInfo) => {
  const email = `member-${uniqueToken(testInfo)}@staff.example`;
  await signIn(page, testInfo);
  await visit(page, testInfo, "/users");
  const add = page.getByRole("region", { name: "Add a staff user" });
  await add.getByRole("textbox", { name: /^Email/ }).fill(email);
  await add.getByLabel("Role").selectOption("marketer");
  await add.getByLabel(/^Password/).fill("given by the admin 1");
  await add.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByRole("cell", { name: email, exact: true })).toBeVisible();

  const member = await (await browser.newContext()).newPage();
  await visit(member, testInfo, "/login");
  await submitSignIn(member, email, "given by the admin 1");
  await expect(member).toHaveURL(/\/account$/);
  await ready(member, testInfo);
  await expect(member.getByRole("alert")).toContainText("Choose your own password first");
  await member.getByLabel(/^Current password/).fill("given by the admin 1");
  await member.getByLabel(/^New password( \*)?$/).fill("my own long phrase");
  await member.getByLabel(/^New password again/).fill("my own long phrase");
  await member.getByRole("button", { name: "Change password" }).click();
  await expect(member.getByText("Your password is changed")).toBeVisible();

  await visit(member, testInfo, "/account");
  const twoFactor = member.getByRole("region", { name: "Two-factor sign-in" });
  await twoFactor.getByLabel(/^Password, to set up/).fill("my own long phrase");
  await twoFactor.getByRole("button", { name: "Set up two-factor sign-in" }).click();
  await expect(twoFactor.getByRole("img", { name: /QR code/ })).toBeVisible();
  const secret = (await twoFactor.locator("code.secret").textContent())!.replace(/\s/g, "");
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await twoFactor.getByLabel(/^Code from the app/).fill("000000" === totp(secret) ? "111111" : "000000");
  await twoFactor.getByRole("button", { name: "Turn on" }).click();
  await expect(twoFactor.getByText(/not the code your app shows/)).toBeVisible();
  await twoFactor.getByLabel(/^Code from the app/).fill(totp(secret));
  await twoFactor.getByRole("button", { name: "Turn on" }).click();
  const codes = twoFactor.getByRole("region", { name: "Your recovery codes" }).locator("li code");
  await expect(codes).toHaveCount(10);
  await expect(twoFactor.getByText("Recovery codes left: 10.")).toBeVisible();
  await ready(member, testInfo);

  await signOut(member);
  await submitSignIn(member, email, "my own long phrase");
  await expect(member).toHaveURL(/\/login\/two-factor/);
  await ready(member, testInfo);
  await member.getByLabel("Code").fill("12345");
  await member.getByRole("button", { name: "Verify" }).click();
  await expect(member.getByRole("alert")).toContainText("not right");
  // The next step's code: the current one confirmed the set-up, and a code works once.
  await member.getByLabel("Code").fill(totp(secret, 1));
  await member.getByRole("button", { name: "Verify" }).click();
  await expect(member).toHaveURL(/\/contacts$/);
  await expect(member.getByRole("heading", { name: "Contacts", level: 1 })).toBeVisible();

  // The admin sees it on, and can turn it off for a member who lost their phone.
  await visit(page, testInfo, "/users");
  const row = page.getByRole("row").filter({ hasText: email });
  await row.getByRole("button", { name: `Turn off two-factor of ${email}` }).click();
  await expect(page.getByText("Two-factor sign-in turned off for them")).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: email })).toContainText("Off");
});

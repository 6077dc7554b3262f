import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { emailField, ready, signIn, uniqueToken } from "./helpers";

// A customer follows their personal link, completes their profile to 100%, once with
// JavaScript (the meter moves as they type) and once without (it moves on saving).

/** A fresh personal link for the contact, as `carnet profile-link` prints it. */
function personalLink(email: string, base: string): string {
  const bin = process.env.CARNET_E2E_BIN;
  const db = process.env.CARNET_E2E_DB;
  if (!bin || !db) {
    throw new Error("Set CARNET_E2E_BIN and CARNET_E2E_DB (the Makefile's e2e target does this).");
  }
  const out = execFileSync(bin, ["profile-link", email], {
    env: { ...process.env, DATABASE_URL: db, CARNET_PUBLIC_URL: base, CARNET_LOG: "warn" },
  });
  return out.toString().trim().split("\n").pop()!.trim();
}

test("a customer opens their link, completes their profile to 100% and gets a coupon", async ({ page, browser, baseURL }, testInfo) => {
  const token = uniqueToken(testInfo);
  const email = `${token}@example.com`;

  // Staff add the contact, with a first name only.
  await signIn(page, testInfo);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Add a contact" }).click();
  await page.getByLabel("First name").fill("Grace");
  await emailField(page).fill(email);
  await page.getByRole("button", { name: "Save contact" }).click();
  await expect(page).toHaveURL(/\/contacts\/\d+$/);
  await expect(page.getByRole("button", { name: "Send their personal link" })).toBeVisible();

  // The customer, in a browser of their own, follows the link.
  const link = personalLink(email, baseURL!);
  const customer = await browser.newContext({ javaScriptEnabled: testInfo.project.name === "js" });
  const me = await customer.newPage();
  await me.goto(link);
  await expect(me.getByRole("heading", { name: "Your profile" })).toBeVisible();
  await me.getByRole("button", { name: "Continue" }).click();
  await expect(me).toHaveURL(/\/me$/);
  await ready(me, testInfo);
  await expect(me.getByText(email)).toBeVisible();
  const meter = me.locator(".meter-value");
  await expect(meter).toHaveText("12 %");

  await me.getByLabel("Last name").fill("Hopper");
  if (testInfo.project.name === "js") {
    await expect(meter).toHaveText("25 %"); // live, before saving
  }
  await me.getByLabel("Phone").fill("+1 202 555 0143");
  await me.getByLabel("Birth date").fill("1986-12-09");
  await me.getByLabel("Postal code").fill("10001");
  await me.getByLabel("City").fill("New York");
  await me.getByLabel("Country").fill("United States");
  await me.getByLabel(/Interests/).fill("compilers, navy");
  if (testInfo.project.name === "js") {
    await expect(meter).toHaveText("100 %");
  }
  await me.getByRole("button", { name: "Save", exact: true }).click();
  await expect(me.getByRole("status")).toHaveText("Saved. Thank you!");
  await expect(meter).toHaveText("100 %");

  // The thank-you: a code, shown on the page (and mailed).
  const rewards = me.getByRole("region", { name: "Thank you! Your rewards" });
  await expect(rewards).toContainText("10% off your next order");
  await expect(rewards.locator(".reward-code")).toHaveText(/^THANKS-[A-Z2-9]{10}$/);

  // The link worked once.
  const again = await customer.newPage();
  await again.goto(link);
  await expect(again.getByRole("heading", { name: "This link was already used" })).toBeVisible();
  await customer.close();
});

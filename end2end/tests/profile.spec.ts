import { expect, test } from "@playwright/test";
import { emailField, mailTo, ready, signIn, uniqueToken } from "./helpers";

// Staff send a customer their personal link; the customer follows it from the mail
// Carnet sent (over SMTP, to the test sink) and completes their profile to 100%, once
// with JavaScript (the meter moves as they type) and once without (it moves on saving).

test("a customer opens their link, completes their profile to 100% and gets a coupon", async ({ page, browser }, testInfo) => {
  const token = uniqueToken(testInfo);
  const email = `${token}@example.com`;

  // Staff add the contact, with a first name only.
  await signIn(page, testInfo);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Add a contact" }).click();
  await page.getByLabel("First name").fill("Grace");
  await emailField(page).fill(email);
  await page.getByRole("button", { name: "Save contact" }).click();
  await expect(page).toHaveURL(/\/contacts\/\d+$/);
  await page.getByRole("button", { name: "Send their personal link" }).click();
  await expect(page.getByText("Their personal link is on its way")).toBeVisible();

  // The customer, in a browser of their own, follows the link in the mail: a tracked
  // click, then their personal link.
  const mail = await mailTo(email);
  expect(mail).toContain("Subject: Your personal link");
  const tracked = mail.match(/https?:\/\/[^\s"<>]+\/t\/c\/[A-Za-z0-9_.-]+/)?.[0];
  expect(tracked, mail).toBeTruthy();
  const customer = await browser.newContext({ javaScriptEnabled: testInfo.project.name === "js" });
  const me = await customer.newPage();
  await me.goto(tracked!);
  await expect(me).toHaveURL(/\/p\/[A-Za-z0-9_-]+$/);
  const link = me.url();
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

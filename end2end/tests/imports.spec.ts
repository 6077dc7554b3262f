import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { ready, searchContacts, signIn, uniqueToken, visit } from "./helpers";

// Runs in both projects: "js" (hydrated app) and "no-js" (plain form posts, and a job
// page that reloads itself). A brand's first day: a newsletter, then its contacts from
// the file French Excel saves (Windows-1252, semicolons, CRLF).

test("an admin creates a newsletter, imports a Windows-1252 file through the mapping page and downloads its refused rows", async ({ page }, testInfo) => {
  const token = uniqueToken(testInfo);
  const newsletter = `Lettre ${token}`;
  await signIn(page, testInfo);

  await visit(page, testInfo, "/newsletters");
  await page.getByRole("textbox", { name: "Name", exact: true }).fill(newsletter);
  await page.getByRole("button", { name: "Create newsletter" }).click();
  await expect(page.getByText("Newsletter created")).toBeVisible();

  // Windows-1252 is Latin-1 for these letters (é, è, ë): one byte each, not UTF-8.
  const csv =
    "Courriel;Prénom;Nom;Date d'inscription\r\n" +
    `${token}-anne@example.com;Anne-Sophie;Lefèvre;01/06/2024\r\n` +
    "pas-une-adresse;Bob;Martin;02/06/2024\r\n" +
    `${token}-joel@example.com;Joël;Durand;03/06/2024\r\n`;
  await visit(page, testInfo, "/contacts");
  await page.getByRole("link", { name: "Import a file" }).click();
  await expect(page).toHaveURL(/\/contacts\/import$/);
  await ready(page, testInfo);
  await page.getByLabel("File of contacts").setInputFiles({
    name: "clients.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(csv, "latin1"),
  });
  await page.getByRole("button", { name: "Upload and choose columns" }).click();
  await expect(page).toHaveURL(/\/contacts\/import\/\d+$/);
  const importPage = new URL(page.url()).pathname;
  await ready(page, testInfo);

  // Read as Windows-1252 with semicolons; the columns guessed from their French names.
  await expect(page.getByLabel("Encoding")).toHaveValue("windows-1252");
  await expect(page.getByLabel("Separator")).toHaveValue(";");
  await expect(page.getByLabel("Prénom", { exact: true })).toHaveValue("first_name");
  await expect(page.getByLabel("Date d'inscription", { exact: true })).toHaveValue("consent_date");
  await expect(page.getByRole("cell", { name: "Lefèvre" }).first()).toBeVisible();
  await expect(page.getByText(/Refused: Courriel/)).toBeVisible();

  await page.getByLabel("Subscribe every row to").selectOption({ label: newsletter });
  await page.getByLabel("The words they agreed to").fill("Oui, je veux recevoir la lettre.");
  await page.getByLabel("Source detail (rows without their own)").fill(`Salon ${token}`);
  await page.getByRole("button", { name: "Dry run (writes nothing)" }).click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(page.getByText("Done", { exact: true })).toBeVisible({ timeout: 20_000 });

  await visit(page, testInfo, importPage);
  await expect(page.getByRole("heading", { name: "Dry run: what the import would do" })).toBeVisible();
  await expect(page.getByText("Dry run done: nothing written yet")).toBeVisible();
  await expect(page.locator("dl.figures")).toContainText(/created\s*2/);
  await expect(page.locator("dl.figures")).toContainText(/refused\s*1/);
  await expect(page.getByLabel("Subscribe every row to")).toHaveValue(/\d+/);

  await page.getByRole("button", { name: "Import the contacts" }).click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(page.getByText("Done", { exact: true })).toBeVisible({ timeout: 20_000 });

  await visit(page, testInfo, importPage);
  await expect(page.getByRole("heading", { name: "What the import did" })).toBeVisible();
  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download the 1 refused rows (CSV)" }).click();
  const download = await downloading;
  const refused = readFileSync((await download.path())!, "utf8");
  expect(refused.charCodeAt(0), "a BOM, so that Excel reads UTF-8").toBe(0xfeff);
  const lines = refused.slice(1).trim().split(/\r?\n/);
  expect(lines[0]).toBe("line;reason;Courriel;Prénom;Nom;Date d'inscription");
  expect(lines[1]).toMatch(/^3;.*;pas-une-adresse;Bob;Martin;02\/06\/2024$/);
  expect(lines).toHaveLength(2);

  await visit(page, testInfo, "/contacts");
  await searchContacts(page, token);
  await expect(page.getByRole("table").locator("tbody tr")).toHaveCount(2);
  await expect(page.getByRole("link", { name: /Joël Durand/ })).toBeVisible();
});

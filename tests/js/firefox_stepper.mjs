// The site's stepper app in Firefox ESR over WebDriver BiDi (puppeteer-core, no downloaded browser).
// Usage: node firefox_stepper.mjs URL SCREENSHOT; prints one JSON line: {"before": panel text, "after": panel text,
// "live": the live region's texts after next, then ArrowRight and ArrowLeft pressed on the graph}.
// Run by tests/test_site_firefox.py, which fetches puppeteer-core into test-artifacts/ and points NODE_PATH at it.
import puppeteer from "puppeteer-core";

const [url, screenshot] = process.argv.slice(2);
const WAIT = 600_000; // ms: Pyodide, numpy and the widgets on a busy 2-core machine
const browser = await puppeteer.launch({
  browser: "firefox", protocol: "webDriverBiDi", headless: true,
  executablePath: process.env.FIREFOX || "/usr/bin/firefox-esr",
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.setDefaultTimeout(WAIT);
  await page.goto(url);
  await page.waitForSelector(".tensorgrad-stepper .tg-graphview[data-drawn]");
  const panelText = () => page.$eval(".tensorgrad-stepper .tensorgrad-stepper-panel", (p) => p.textContent);
  const before = await panelText();
  const next = await page.waitForSelector(".tensorgrad-stepper ::-p-aria([name='next'][role='button'])");
  await next.click();
  await page.waitForFunction(
    () => document.querySelector(".tensorgrad-stepper .tensorgrad-stepper-panel").textContent.includes("Step 1 of"));
  const after = await panelText();
  const live = ".tensorgrad-stepper [role=status][aria-live=polite]";
  const said = async (k) => {
    await page.waitForFunction((sel, k) => document.querySelector(sel).textContent.startsWith(`Step ${k} of`), {}, live, k);
    return page.$eval(live, (region) => region.textContent);
  };
  const texts = [await said(1)];
  await page.focus(".tensorgrad-stepper .tg-graphview");
  await page.keyboard.press("ArrowRight");
  texts.push(await said(2));
  await page.keyboard.press("ArrowLeft");
  texts.push(await said(1));
  await page.screenshot({ path: screenshot });
  console.log(JSON.stringify({ before, after, live: texts }));
} finally {
  await browser.close();
}

import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Page } from "playwright-core";

/**
 * The explorer's screenshots (docs/img/, shown in README.md and docs/explorer.md): the network page, a job
 * page, a live dispute and the same dispute settled, taken by the browser test (explorer/browser.test.ts) from the page it drives.
 * The test writes them to a temporary folder; with EXPLORER_SCREENSHOTS=docs/img it refreshes the docs' copies.
 */
export const SCREENSHOTS = { network: "explorer-network.png", job: "explorer-job.png", dispute: "explorer-dispute.png", settled: "explorer-dispute-settled.png" } as const;

/** Above this a PNG is too heavy for the README (the page is cropped to its first screens). */
export const MAX_SCREENSHOT_BYTES = 300 * 1024;

/**
 * The page as it is now, cropped to at most `maxHeight` pixels from the top, or from just above the element
 * `from` selects; returns the file's size in bytes.
 */
export async function capture(page: Page, dir: string, name: keyof typeof SCREENSHOTS, o: { maxHeight?: number; from?: string } = {}): Promise<{ file: string; bytes: number }> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, SCREENSHOTS[name]);
  const height = await page.evaluate("document.documentElement.scrollHeight") as number;
  const width = page.viewportSize()?.width ?? 1280;
  const top = o.from ? Math.max(0, ((await page.locator(o.from).first().boundingBox())?.y ?? 0) + (await page.evaluate("window.scrollY") as number) - 16) : 0;
  await page.screenshot({ path: file, fullPage: true, clip: { x: 0, y: top, width, height: Math.min(height - top, o.maxHeight ?? 1400) } });
  return { file, bytes: (await stat(file)).size };
}

import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createImageSearch } from "./create-image-search";
import { ImageSearchError } from "./image-search-error";
import { imageSearchOptionsFromEnv } from "./image-search-options";
import {
  encodeJpeg,
  encodePng,
  jpegDataUri,
  pngDataUri,
  renderScene,
  resizeBilinear,
} from "./test-images.test-support";

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "hdpo-image-search-"));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

const MISS = "No result found for image search.";

describe("image search maps (reference mode)", () => {
  it("answers a hit with the reference's text, one <image> per returned image, files read as data URIs", async () => {
    const cacheRoot = join(folder, "cache");
    await mkdir(join(cacheRoot, "imgs"), { recursive: true });
    const png = encodePng(renderScene("disk-left", 40, 30));
    const jpg = encodeJpeg(renderScene("stripes", 40, 30), 80);
    await writeFile(join(cacheRoot, "imgs", "a.png"), png);
    await writeFile(join(cacheRoot, "imgs", "b.jpg"), jpg);
    const mapPath = join(folder, "map.json");
    await writeFile(
      mapPath,
      JSON.stringify({
        "17": {
          tool_returned_web_title: ["Disk - Wikipedia", "Missing", "Stripes"],
          cached_images_path: ["imgs/a.png", "imgs/gone.png", "imgs/b.jpg"],
        },
      }),
    );
    const search = await createImageSearch({ maps: [mapPath], imageRoot: cacheRoot });
    const result = await search.lookup({ index: 17 });
    expect(result.success).toBe(true);
    expect(result.source).toBe("map");
    // Numbers follow the map's order; the unreadable second entry is left out, as the reference does.
    expect(result.text).toBe(
      "A Google image search for the image found 2 results:\n\n## Web Results\n1. <image>\n[Disk - Wikipedia]\n\n\n3. <image>\n[Stripes]\n",
    );
    expect(result.images).toEqual([pngDataUri(png), jpegDataUri(jpg)]);
    expect(result.text.split("<image>").length - 1).toBe(result.images.length);
  });

  it("reads our shape (inline data URIs or paths relative to the map file), later maps win", async () => {
    const png = encodePng(renderScene("ring-right", 20, 20));
    await writeFile(join(folder, "ring.png"), png);
    const mapPath = join(folder, "ours.json");
    await writeFile(
      mapPath,
      JSON.stringify({ q1: [{ title: "From file", image: "ring.png", url: "https://x.example" }] }),
    );
    const inline = { q2: [{ title: "Inline", image: pngDataUri(png) }] };
    const search = await createImageSearch({
      maps: [mapPath, inline, { q1: [{ title: "Override", image: pngDataUri(png) }] }],
    });
    expect((await search.lookup({ index: "q2" })).text).toContain("1. <image>\n[Inline]\n");
    const q1 = await search.lookup({ index: "q1" });
    expect(q1.text).toContain("[Override]");
    expect(search.stats.mapKeys).toBe(2);
    const fileOnly = await createImageSearch({ maps: [mapPath] });
    expect((await fileOnly.lookup({ index: "q1" })).images).toEqual([pngDataUri(png)]);
  });

  it("misses with the reference's text when the index is absent, unknown or its images unreadable", async () => {
    const search = await createImageSearch({
      maps: [{ known: [{ title: "t", image: join(folder, "nope.png") }] }],
    });
    for (const request of [{}, { index: "other" }, { index: "known" }]) {
      const result = await search.lookup(request);
      expect(result).toMatchObject({ text: MISS, images: [], success: false, source: "none" });
      expect(result.reason).toBeTruthy();
    }
    const none = await createImageSearch();
    expect(await none.lookup({ index: "x", images: [] })).toMatchObject({ text: MISS, success: false });
  });

  it("refuses malformed maps at creation, naming the map and index", async () => {
    await expect(
      createImageSearch({ maps: [{ k: [{ title: 3, image: "a.png" }] as never }] }),
    ).rejects.toThrow(/index "k": entry 0 has no string "title"/);
    const bad = join(folder, "bad.json");
    await writeFile(bad, "{not json");
    await expect(createImageSearch({ maps: [bad] })).rejects.toThrow(ImageSearchError);
  });
});

describe("local perceptual-hash image search", () => {
  async function collection() {
    const dir = join(folder, "collection");
    await mkdir(join(dir, "sub"), { recursive: true });
    await writeFile(join(dir, "disk.png"), encodePng(renderScene("disk-left", 200, 150)));
    await writeFile(join(dir, "stripes.jpg"), encodeJpeg(renderScene("stripes", 200, 150), 90));
    await writeFile(join(dir, "sub", "ring.jpeg"), encodeJpeg(renderScene("ring-right", 160, 160), 90));
    await writeFile(join(dir, "broken.png"), Buffer.from("\x89PNG\r\n\x1a\nnot really"));
    await writeFile(join(dir, "notes.txt"), "ignored");
    await writeFile(
      join(dir, "manifest.jsonl"),
      `${JSON.stringify({ file: "disk.png", title: "A disk on a gradient", url: "https://disk.example" })}\n${JSON.stringify({ file: "sub/ring.jpeg", title: "An orange ring" })}\n`,
    );
    return dir;
  }

  it("finds the original of a resized, recompressed copy first, with the manifest's title", async () => {
    const dir = await collection();
    const search = await createImageSearch({ local: { dir } });
    expect(search.stats).toEqual({ mapKeys: 0, localImages: 3, localSkipped: 1 });
    const copy = encodeJpeg(resizeBilinear(renderScene("disk-left", 200, 150), 130, 97), 55);
    const result = await search.lookup({ index: "not-in-any-map", images: [jpegDataUri(copy)] });
    expect(result.success).toBe(true);
    expect(result.source).toBe("local");
    expect(result.text).toBe(
      "A Google image search for the image found 1 results:\n\n## Web Results\n1. <image>\n[A disk on a gradient]\n",
    );
    expect(result.images).toEqual([pngDataUri(await readFile(join(dir, "disk.png")))]);

    const ring = await search.lookup({
      images: [pngDataUri(encodePng(resizeBilinear(renderScene("ring-right", 160, 160), 90, 90)))],
    });
    expect(ring.text).toContain("[An orange ring]");
  });

  it("returns the k nearest within the threshold, and nothing for an unrelated image", async () => {
    const dir = await collection();
    const everything = await createImageSearch({ local: { dir, k: 2, maxDistance: 64 } });
    const all = await everything.lookup({ images: [pngDataUri(encodePng(renderScene("stripes", 100, 75)))] });
    expect(all.images).toHaveLength(2);
    expect(all.text).toMatch(
      /^A Google image search for the image found 2 results:\n\n## Web Results\n1\. <image>\n\[stripes\]\n/,
    );

    const strict = await createImageSearch({ local: { dir } });
    const unrelated = await strict.lookup({
      images: [pngDataUri(encodePng(renderScene("checker", 120, 120)))],
    });
    expect(unrelated).toMatchObject({ text: MISS, images: [], success: false });
    expect(unrelated.reason).toMatch(/no image within 10 bits/);
  });

  it("misses when the task has no image or it cannot be decoded", async () => {
    const search = await createImageSearch({ local: { dir: await collection() } });
    expect((await search.lookup({ images: [] })).reason).toMatch(/needs the task's image/);
    expect((await search.lookup({ images: ["data:image/png;base64,AAAA"] })).success).toBe(false);
    expect((await search.lookup({ images: ["not base64 at all!"] })).reason).toMatch(/not a base64 data URI/);
  });

  it("refuses a missing folder and a malformed manifest with line numbers", async () => {
    await expect(createImageSearch({ local: { dir: join(folder, "missing") } })).rejects.toThrow(
      /cannot read the folder/,
    );
    const dir = await collection();
    await writeFile(join(dir, "manifest.jsonl"), `{"file":"disk.png"}\n{"title":"no file"}\n{oops\n`);
    await expect(createImageSearch({ local: { dir } })).rejects.toThrow(
      /line 2: "file" must be a non-empty string; line 3: not valid JSON/,
    );
    await expect(createImageSearch({ local: { dir: folder, k: 0 } })).rejects.toThrow(
      /k must be a positive integer/,
    );
  });
});

describe("imageSearchOptionsFromEnv", () => {
  it("reads maps, the image root and the local collection", () => {
    expect(imageSearchOptionsFromEnv({})).toEqual({});
    expect(
      imageSearchOptionsFromEnv({
        HDPO_IMAGE_SEARCH_MAPS: "/a.json:/b.json",
        METIS_IMAGE_SEARCH_CACHE: "/cache",
        HDPO_IMAGE_SEARCH_DIR: "/imgs",
        HDPO_IMAGE_SEARCH_K: "3",
        HDPO_IMAGE_SEARCH_MAX_DISTANCE: "8",
      }),
    ).toEqual({
      maps: ["/a.json", "/b.json"],
      imageRoot: "/cache",
      local: { dir: "/imgs", k: 3, maxDistance: 8 },
    });
  });
});

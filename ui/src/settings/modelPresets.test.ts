import { describe, expect, it } from "vitest";
import { azureBaseUrl, isLoopbackUrl, parseAzure, presetFor } from "./modelPresets";

describe("model presets", () => {
  it("tells a saved base URL's server by name", () => {
    expect(presetFor(null)).toBe("openai");
    expect(presetFor("https://api.openai.com/v1/")).toBe("openai");
    expect(presetFor("http://localhost:11434/v1")).toBe("ollama");
    expect(presetFor("http://127.0.0.1:11434/v1")).toBe("ollama");
    expect(presetFor("http://localhost:1234/v1")).toBe("lmstudio");
    expect(presetFor("https://openrouter.ai/api/v1")).toBe("openrouter");
    expect(presetFor("https://contoso.openai.azure.com/openai/v1")).toBe("azure");
    expect(presetFor("http://localhost:8080/v1")).toBe("custom");
  });

  it("composes Azure's v1 URL, or a deployment URL with its api-version, as the openai package's AzureOpenAI does", () => {
    expect(azureBaseUrl({ resource: "contoso", deployment: "gpt-4o-mini", apiVersion: "" })).toBe(
      "https://contoso.openai.azure.com/openai/v1",
    );
    expect(azureBaseUrl({ resource: "https://contoso.openai.azure.com/", deployment: "gpt-4o-mini", apiVersion: "2024-10-21" })).toBe(
      "https://contoso.openai.azure.com/openai/deployments/gpt-4o-mini?api-version=2024-10-21",
    );
    expect(azureBaseUrl({ resource: "", deployment: "x", apiVersion: "" })).toBe("");
    expect(parseAzure("https://contoso.openai.azure.com/openai/deployments/gpt-4o-mini?api-version=2024-10-21")).toEqual({
      resource: "contoso",
      deployment: "gpt-4o-mini",
      apiVersion: "2024-10-21",
    });
    expect(parseAzure("https://openrouter.ai/api/v1")).toBeNull();
  });

  it("knows a server on this computer", () => {
    for (const url of ["http://localhost:11434/v1", "http://127.0.0.1:1234/v1", "http://[::1]:8080/v1"]) {
      expect(isLoopbackUrl(url)).toBe(true);
    }
    for (const url of ["https://api.openai.com/v1", "http://localhost.example.com/v1", "not a url"]) {
      expect(isLoopbackUrl(url)).toBe(false);
    }
  });
});

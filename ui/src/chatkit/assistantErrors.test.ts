import { describe, expect, it } from "vitest";
import { assistantErrorFromEffect, needsSettings } from "./assistantErrors";

describe("assistantErrorFromEffect", () => {
  it("reads the core's app_error effect", () => {
    expect(
      assistantErrorFromEffect({ name: "app_error", data: { code: "rate_limited", message: "Slow down (429)." } }),
    ).toEqual({ code: "rate_limited", message: "Slow down (429)." });
  });

  it("ignores other effects", () => {
    expect(assistantErrorFromEffect({ name: "confetti", data: { code: "x" } })).toBeNull();
  });

  it("fills in a message when the effect has none", () => {
    expect(assistantErrorFromEffect({ name: "app_error", data: { code: "invalid_api_key" } })?.message).toContain(
      "Settings",
    );
    expect(assistantErrorFromEffect({ name: "app_error" })).toEqual({
      code: "model_error",
      message: "The model reported an error.",
    });
  });

  it("sends only key, model and server setup problems to Settings", () => {
    for (const code of [
      "invalid_api_key",
      "assistant_not_configured",
      "model_not_found",
      "model_server_not_running",
      "model_no_tools",
      "model_api_not_found",
    ]) {
      expect(needsSettings(code)).toBe(true);
    }
    for (const code of ["rate_limited", "model_unavailable", "model_stream_broken", "model_error"]) {
      expect(needsSettings(code)).toBe(false);
    }
  });
});

import { lazy } from "react";

// Views that load when first shown: the first paint waits for the shell and the Tasks view
// only, not for the Markdown renderer, ChatKit's wrapper, or Settings.
export const BuiltinChat = lazy(() => import("./chat/BuiltinChat").then((m) => ({ default: m.BuiltinChat })));
export const ChatPanel = lazy(() => import("./chatkit/ChatPanel").then((m) => ({ default: m.ChatPanel })));
export const ChatView = lazy(() => import("./chatkit/ChatView").then((m) => ({ default: m.ChatView })));
export const SettingsView = lazy(() => import("./settings/SettingsView").then((m) => ({ default: m.SettingsView })));
export const Onboarding = lazy(() => import("./settings/Onboarding").then((m) => ({ default: m.Onboarding })));

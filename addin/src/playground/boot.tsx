import { FluentProvider, webLightTheme } from "@fluentui/react-components";
import type { Root } from "react-dom/client";
import { PaneController } from "../taskpane/controller";
import { Playground } from "./Playground";
import { StandIn } from "./standin";

export function bootPlayground(root: Root): void {
  const params = new URLSearchParams(location.search);
  // ?lang=zh-CN plays Outlook set to Chinese; otherwise the browser's language.
  const standIn = new StandIn({ from: "Tom Li <tom.li@brightway-lighting.cn>" }, params.get("lang") || navigator.language, window.localStorage);
  const controller = new PaneController({ office: standIn.office, defaultBase: location.origin });
  // For tests and support: drive the stand-in (failNext, delayMs) from the console.
  window.sendwisePlayground = { standIn, controller };
  root.render(
    <FluentProvider theme={webLightTheme}>
      <Playground standIn={standIn} controller={controller} />
    </FluentProvider>,
  );
  controller.start();
}

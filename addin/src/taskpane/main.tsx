// Entry of taskpane.html. Inside Outlook (the manifest's URL carries
// office=1 and the page has loaded office.js) the pane reads the real
// draft; in an ordinary browser it shows the compose playground.

import { FluentProvider, webLightTheme } from "@fluentui/react-components";
import { createRoot } from "react-dom/client";
import type { OfficeLike } from "../shared/office";
import type { AuthLike } from "../shared/signin";
import { PaneController } from "./controller";
import { Pane } from "./Pane";

declare global {
  interface Window {
    Office?: OfficeLike & { onReady(callback?: () => void): Promise<unknown> };
    sendwisePlayground?: unknown;
  }
}

const root = createRoot(document.getElementById("root")!);
const inOffice = /[?&]office=1(&|$)/.test(location.search) && window.Office;

if (inOffice) {
  window.Office!.onReady(() => {
    const auth = (window.Office as { auth?: AuthLike } | undefined)?.auth ?? null;
    const controller = new PaneController({ office: window.Office!, defaultBase: location.origin, auth });
    root.render(
      <FluentProvider theme={webLightTheme}>
        <Pane controller={controller} />
      </FluentProvider>,
    );
    controller.start();
  });
} else {
  void import("../playground/boot").then(({ bootPlayground }) => bootPlayground(root));
}

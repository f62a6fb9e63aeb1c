// The compose playground: what /addin/taskpane.html shows in an ordinary
// browser. A compose form drives the very same pane through the Office.js
// stand-in, so anyone can try sendwise after `make run`.

import { Checkbox, Field, Input, Textarea, makeStyles, tokens } from "@fluentui/react-components";
import { useSyncExternalStore } from "react";
import type { PaneController } from "../taskpane/controller";
import { Pane } from "../taskpane/Pane";
import type { ComposeFields, StandIn } from "./standin";

const useStyles = makeStyles({
  page: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "flex-start",
    gap: "16px",
    padding: "16px",
    fontFamily: tokens.fontFamilyBase,
    backgroundColor: tokens.colorNeutralBackground2,
    minHeight: "100vh",
    boxSizing: "border-box",
  },
  compose: {
    flex: "1 1 420px",
    maxWidth: "720px",
    display: "flex",
    flexDirection: "column",
    rowGap: "8px",
    backgroundColor: tokens.colorNeutralBackground1,
    padding: "16px",
    borderRadius: tokens.borderRadiusLarge,
  },
  paneFrame: {
    width: "320px",
    flex: "0 0 320px",
    backgroundColor: tokens.colorNeutralBackground1,
    borderRadius: tokens.borderRadiusLarge,
    overflow: "hidden",
  },
  title: { margin: 0, fontSize: tokens.fontSizeBase500 },
  hint: { margin: 0, color: tokens.colorNeutralForeground3 },
});

const FIELDS: { key: Exclude<keyof ComposeFields, "body">; label: string; type?: string }[] = [
  { key: "from", label: "From" },
  { key: "to", label: "To" },
  { key: "cc", label: "Cc" },
  { key: "bcc", label: "Bcc" },
  { key: "subject", label: "Subject" },
];

export function Playground({ standIn, controller }: { standIn: StandIn; controller: PaneController }) {
  const styles = useStyles();
  const fields = useSyncExternalStore(
    (l) => standIn.subscribe(l),
    () => standIn.fields,
  );
  const track = (e: React.SyntheticEvent<HTMLTextAreaElement>) => {
    const el = e.currentTarget;
    standIn.selection = { start: el.selectionStart, end: el.selectionEnd };
  };
  return (
    <div className={styles.page}>
      <form className={styles.compose} aria-label="Compose" onSubmit={(e) => e.preventDefault()}>
        <h1 className={styles.title}>sendwise playground</h1>
        <p className={styles.hint}>
          Write an email as in Outlook; the pane on the right checks it as you type. Separate several addresses with commas or semicolons.
        </p>
        {FIELDS.map((f) => (
          <Field key={f.key} label={f.label}>
            <Input value={fields[f.key]} onChange={(_, d) => standIn.update({ [f.key]: d.value })} name={f.key} />
          </Field>
        ))}
        <Checkbox
          label="This is a reply to their email"
          checked={standIn.composeType === "reply"}
          onChange={(_, d) => standIn.setComposeType(d.checked ? "reply" : "newMail")}
        />
        <Field label="Body">
          <Textarea
            value={fields.body}
            name="body"
            rows={14}
            resize="vertical"
            onChange={(_, d) => standIn.update({ body: d.value })}
            onSelect={track}
            onKeyUp={track}
            onClick={track}
          />
        </Field>
      </form>
      <aside className={styles.paneFrame} aria-label="sendwise">
        <Pane controller={controller} />
      </aside>
    </div>
  );
}

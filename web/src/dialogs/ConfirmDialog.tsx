// Asks before an action that gives something up (delete, detach), saying
// exactly what happens to the data.
import type { ReactNode } from "react";
import type { Activity } from "../api/use-actions";
import { ActivityLine } from "../components/ActivityLine";
import { Modal } from "../components/Modal";

export function ConfirmDialog(p: { title: string; body: ReactNode; confirm: string; activity: Activity | null; onConfirm: () => void; onClose: () => void }) {
  return (
    <Modal title={p.title} onClose={p.onClose} onSubmit={p.onConfirm} submitLabel={p.confirm} danger focusSubmit submitDisabled={p.activity !== null}
      footer={p.activity && <ActivityLine activity={p.activity} />}>
      <div className="confirm-body">{p.body}</div>
    </Modal>
  );
}

// A modal dialog on the native <dialog>: the browser keeps focus inside it
// and turns Escape into a close; Enter submits the form inside. It is open
// while mounted; on unmount focus goes back to where it was, so a keyboard
// user continues from the button that opened it.
import { useEffect, useId, useRef, type FormEvent, type ReactNode } from "react";

export interface ModalProps {
  title: string;
  description?: ReactNode;
  onClose: () => void;
  onSubmit: () => void;
  submitLabel: string;
  /** The button that closes without acting: "Cancel" unless the dialog only shows something. */
  cancelLabel?: string;
  submitDisabled?: boolean;
  danger?: boolean;
  wide?: boolean;
  /** Start on the submit button (a confirmation: Enter confirms, Escape does not). */
  focusSubmit?: boolean;
  /** The error that keeps the dialog open, and the busy line while the action runs. */
  footer?: ReactNode;
  children?: ReactNode;
}

export function Modal(p: ModalProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descId = useId();

  const { focusSubmit } = p;
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    d.showModal();
    // showModal focuses the first focusable element, the close button; the
    // first field is where a keyboard user wants to start.
    d.querySelector<HTMLElement>("[data-autofocus], .modal-body :is(input, select, textarea):not([disabled])")?.focus();
    if (focusSubmit) d.querySelector<HTMLElement>("button[type=submit]")?.focus();
    return () => {
      if (d.open) d.close();
      if (opener?.isConnected) opener.focus();
    };
  }, [focusSubmit]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!p.submitDisabled) p.onSubmit();
  };

  return (
    <dialog ref={ref} className={p.wide ? "modal wide" : "modal"} aria-labelledby={titleId} aria-describedby={p.description ? descId : undefined} onClose={p.onClose}>
      <form onSubmit={submit} noValidate>
        <header className="modal-head">
          <h2 id={titleId}>{p.title}</h2>
          <button type="button" className="icon-button" aria-label="Close" onClick={p.onClose}>×</button>
        </header>
        {p.description && <p id={descId} className="modal-desc">{p.description}</p>}
        <div className="modal-body">{p.children}</div>
        {p.footer}
        <footer className="modal-actions">
          <button type="button" className="button" onClick={p.onClose}>{p.cancelLabel ?? "Cancel"}</button>
          <button type="submit" className={p.danger ? "button danger" : "button primary"} aria-disabled={p.submitDisabled ? true : undefined}>{p.submitLabel}</button>
        </footer>
      </form>
    </dialog>
  );
}

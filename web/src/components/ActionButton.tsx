// A button that says why it cannot act instead of vanishing from the Tab
// order: unavailable buttons are aria-disabled (still focusable, with the
// reason as their description), not disabled, so a keyboard user's focus
// stays put while an action runs or a domain changes state under it.
import { useId, type ReactNode } from "react";

export interface ActionButtonProps {
  children: ReactNode;
  onClick: () => void;
  /** Why it cannot act now; false or undefined when it can. */
  unavailable?: string | false;
  label?: string;
  variant?: "primary" | "danger";
  small?: boolean;
  action?: string;
}

export function ActionButton({ children, onClick, unavailable, label, variant, small, action }: ActionButtonProps) {
  const whyId = useId();
  const classes = ["button", small ? "small" : "", variant ?? ""].filter(Boolean).join(" ");
  return (
    <button type="button" className={classes} data-action={action} aria-label={label} aria-disabled={unavailable ? true : undefined}
      aria-describedby={unavailable ? whyId : undefined} title={unavailable || undefined} onClick={() => { if (!unavailable) onClick(); }}>
      {children}
      {unavailable && <span id={whyId} className="sr-only">{unavailable}</span>}
    </button>
  );
}

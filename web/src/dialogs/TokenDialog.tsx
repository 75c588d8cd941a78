// Asks for the API token when an action needs it and the page was opened
// without `#token=…` (or with an old one). The token is kept for this tab only.
import { useId, useState } from "react";
import { Modal } from "../components/Modal";

export function TokenDialog({ reason, onDone }: { reason: string; onDone: (token: string | null) => void }) {
  const id = useId();
  const [token, setToken] = useState("");
  return (
    <Modal title="API token needed" onClose={() => onDone(null)} onSubmit={() => onDone(token)} submitLabel="Use token" submitDisabled={token.trim() === ""}
      description={<>{reason}. Actions need the token <code>vnvdimm up</code> wrote to <code>api-token</code> in its state directory; the URL it prints carries it.</>}>
      <label className="field" htmlFor={`${id}-token`}>
        <span>Token</span>
        <input id={`${id}-token`} name="token" type="password" className="code" value={token} autoComplete="off" spellCheck={false} onChange={(e) => setToken(e.target.value)} />
      </label>
    </Modal>
  );
}

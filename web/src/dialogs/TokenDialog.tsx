// Asks for the API token when an action needs it and the page was opened
// without `#token=…` (or with an old one). The token is kept for this tab only.
import { useId, useState } from "react";
import { ErrorLine } from "../components/ErrorLine";
import { Modal } from "../components/Modal";

export function TokenDialog({ reason, refused, onDone }: { reason: string; refused: boolean; onDone: (token: string | null) => void }) {
  const id = useId();
  const [token, setToken] = useState("");
  return (
    <Modal title="API token needed" onClose={() => onDone(null)} onSubmit={() => onDone(token)} submitLabel="Use token" submitDisabled={token.trim() === ""}
      footer={refused && <ErrorLine error={{ message: "The daemon refused that token", hint: "copy it again from the URL `vnvdimm up` printed, or from its api-token file" }} />}
      description={<>{reason}. <code>vnvdimm up</code> writes it to <code>api-token</code> in its state directory, and the URL it prints carries it.</>}>
      <label className="field" htmlFor={`${id}-token`}>
        <span>Token</span>
        <input id={`${id}-token`} name="token" type="password" className="code" value={token} autoComplete="off" spellCheck={false} onChange={(e) => setToken(e.target.value)} />
      </label>
    </Modal>
  );
}

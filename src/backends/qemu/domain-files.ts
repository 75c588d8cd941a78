// Where a qemu domain's runtime files live: <state>/qemu/<name>/. QEMU
// outlives the vnvdimm process that starts it, so everything a later
// command needs to find it again is here.
import { join } from "node:path";

/** sun_path is 108 bytes including the NUL (unix(7)). */
export const UNIX_PATH_MAX = 107;

export const qemuDomainPaths = (state: string, name: string) => {
  const dir = join(state, "qemu", name);
  return {
    dir,
    /** The serial console (ttyS0), this boot. */
    console: join(dir, "console.log"),
    /** The serial console itself, for `vnvdimm console` (one client at a time, as xl console). */
    consoleSocket: join(dir, "console.sock"),
    /** The previous boot's console. */
    previousConsole: join(dir, "console.prev.log"),
    /** QEMU's own stderr. */
    qemuLog: join(dir, "qemu.log"),
    qmp: join(dir, "qmp.sock"),
    agent: join(dir, "agent.sock"),
    agentLock: join(dir, "agent.lock"),
    pid: join(dir, "qemu.pid"),
    /** The agent script this boot got through fw_cfg. */
    agentScript: join(dir, "agent.sh"),
    /** The broken pages this boot's guest was given (fw_cfg opt/vnvdimm/badblocks). */
    badblocks: join(dir, "badblocks"),
    /** What was launched: argv and the boot-time layout (slots, maxmem, windows). */
    run: join(dir, "run.json"),
  };
};

export type QemuDomainPaths = ReturnType<typeof qemuDomainPaths>;

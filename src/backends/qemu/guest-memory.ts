// The least RAM vnvdimm's guest image boots and works in. The kernel holds
// the compressed initramfs (about 20 MB) and unpacks it into RAM beside it,
// and the hotpluggable device-memory range QEMU is given (maxmem, tens of
// GiB for a host's worth of vNVDIMM windows) and the pmem-only NUMA nodes
// cost it more at boot. Below the floor the guest panics ("System is
// deadlocked on memory", an OOM) a second into its boot, long after QEMU
// started and `create` said so.
//
// Measured with Debian's 6.1 kernel and the image `vnvdimm setup qemu`
// builds, on the argv startQemuDomain builds (TCG, one vCPU, the default
// host, one 512 MiB fsdax vNVDIMM): 128 and 160 MiB die of OOM at boot;
// 192 MiB boots, runs mkfs.ext4, mounts with -o dax and writes 64 MiB with
// 35 MiB still available; 224 MiB leaves 67 MiB. Without maxmem and the
// NVDIMM the same image boots in 128 MiB (112 MiB dies).
export const QEMU_GUEST_MIN_MEMORY_MIB = 192;
